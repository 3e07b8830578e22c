/// Every fixed string of the consultation pages (docs/WEB.md, "Stakeholder input"), in each language a consultation
/// can be given in. The people consulted read the page in their own language; the title and introduction are the
/// owner's words in that language, and everything else comes from here, so a language is complete or not offered
/// (a test checks every language has every key).
enum WebCatalogue {
    struct Language: Sendable {
        /// BCP 47 code, as the page's `lang`.
        var code: String
        /// The language's name in itself, as the owner picks it.
        var name: String
        /// `rtl` for a right-to-left script: the page's `dir`, which the logical CSS properties follow.
        var direction: String
    }

    static let languages: [Language] = [
        Language(code: "en", name: "English", direction: "ltr"),
        Language(code: "fr", name: "Français", direction: "ltr"),
        Language(code: "es", name: "Español", direction: "ltr"),
        Language(code: "ar", name: "العربية", direction: "rtl"),
    ]

    static func language(_ code: String) -> Language? { languages.first { $0.code == code } }

    enum Key: String, CaseIterable, Sendable {
        case skipToContent, anonymous, noTrace, nameLabel, nameHint, answersHeading, optional, openHint, confidentialHint
        case choose, yes, no, dateHint, consentHeading, consentText, consentRequired, send, openUntil
        case thanksTitle, thanksText, closedTitle, closedText, unknownTitle, unknownText
        case busyTitle, busyText, notSentTitle, nothingWritten, tooLong, staleForm, failed
    }

    /// The text of `key` in `language`; English when the language is not in the catalogue.
    static func text(_ key: Key, _ language: String) -> String {
        strings[language]?[key] ?? strings["en"]?[key] ?? key.rawValue
    }

    static let strings: [String: [Key: String]] = [
        "en": [
            .skipToContent: "Skip to content",
            .anonymous: "You do not have to give your name.",
            .noTrace: "This form keeps no address of your device and nothing about your browser; only the day you send it.",
            .nameLabel: "Your name",
            .nameHint: "Leave it empty to stay anonymous. Only the people running this assessment see it.",
            .answersHeading: "Your answers",
            .optional: "optional",
            .openHint: "This answer may appear in the published record, without your name.",
            .confidentialHint: "Confidential: only the people running this assessment see it; it is never published.",
            .choose: "Choose…",
            .yes: "Yes",
            .no: "No",
            .dateHint: "Year-month-day, for example 2026-03-01.",
            .consentHeading: "Your agreement",
            .consentText: "I agree that what I write here is used for this human-rights assessment, as this page says.",
            .consentRequired: "Please tick the box to say you agree. Without it, nothing you wrote is kept.",
            .send: "Send",
            .openUntil: "You can send your answers until",
            .thanksTitle: "Thank you",
            .thanksText: "Your answers were received. Nothing else about you was kept.",
            .closedTitle: "This form is closed",
            .closedText: "It no longer takes answers. Thank you for your interest.",
            .unknownTitle: "Form not found",
            .unknownText: "This link does not lead to a form. Check it with the person who gave it to you.",
            .busyTitle: "Too many answers at once",
            .busyText: "Please wait a few minutes, then send your answers again.",
            .notSentTitle: "Your answers were not sent",
            .nothingWritten: "Please write something in at least one answer.",
            .tooLong: "An answer is too long. Please make it shorter.",
            .staleForm: "This page is out of date. Please open the link again.",
            .failed: "Something went wrong on our side and nothing was kept. Please try again later.",
        ],
        "fr": [
            .skipToContent: "Aller au contenu",
            .anonymous: "Vous n’êtes pas obligé·e de donner votre nom.",
            .noTrace: "Ce formulaire ne garde aucune adresse de votre appareil ni rien de votre navigateur ; seulement le jour de l’envoi.",
            .nameLabel: "Votre nom",
            .nameHint: "Laissez vide pour rester anonyme. Seules les personnes qui mènent cette évaluation le voient.",
            .answersHeading: "Vos réponses",
            .optional: "facultatif",
            .openHint: "Cette réponse peut figurer dans le compte rendu publié, sans votre nom.",
            .confidentialHint: "Confidentiel : seules les personnes qui mènent cette évaluation le voient ; jamais publié.",
            .choose: "Choisir…",
            .yes: "Oui",
            .no: "Non",
            .dateHint: "Année-mois-jour, par exemple 2026-03-01.",
            .consentHeading: "Votre accord",
            .consentText: "J’accepte que ce que j’écris ici serve à cette évaluation des droits humains, comme cette page l’explique.",
            .consentRequired: "Cochez la case pour dire que vous êtes d’accord. Sans cela, rien de ce que vous avez écrit n’est gardé.",
            .send: "Envoyer",
            .openUntil: "Vous pouvez envoyer vos réponses jusqu’au",
            .thanksTitle: "Merci",
            .thanksText: "Vos réponses ont bien été reçues. Rien d’autre sur vous n’a été gardé.",
            .closedTitle: "Ce formulaire est fermé",
            .closedText: "Il ne reçoit plus de réponses. Merci de votre intérêt.",
            .unknownTitle: "Formulaire introuvable",
            .unknownText: "Ce lien ne mène à aucun formulaire. Vérifiez-le auprès de la personne qui vous l’a donné.",
            .busyTitle: "Trop de réponses à la fois",
            .busyText: "Attendez quelques minutes, puis envoyez à nouveau vos réponses.",
            .notSentTitle: "Vos réponses n’ont pas été envoyées",
            .nothingWritten: "Écrivez quelque chose dans au moins une réponse.",
            .tooLong: "Une réponse est trop longue. Raccourcissez-la.",
            .staleForm: "Cette page n’est plus à jour. Ouvrez à nouveau le lien.",
            .failed: "Un problème est survenu de notre côté et rien n’a été gardé. Réessayez plus tard.",
        ],
        "es": [
            .skipToContent: "Ir al contenido",
            .anonymous: "No tiene que dar su nombre.",
            .noTrace: "Este formulario no guarda ninguna dirección de su dispositivo ni nada de su navegador; solo el día del envío.",
            .nameLabel: "Su nombre",
            .nameHint: "Déjelo vacío para seguir en el anonimato. Solo lo ven las personas que llevan esta evaluación.",
            .answersHeading: "Sus respuestas",
            .optional: "opcional",
            .openHint: "Esta respuesta puede aparecer en el registro publicado, sin su nombre.",
            .confidentialHint: "Confidencial: solo lo ven las personas que llevan esta evaluación; nunca se publica.",
            .choose: "Elegir…",
            .yes: "Sí",
            .no: "No",
            .dateHint: "Año-mes-día, por ejemplo 2026-03-01.",
            .consentHeading: "Su consentimiento",
            .consentText: "Acepto que lo que escribo aquí se use para esta evaluación de derechos humanos, como explica esta página.",
            .consentRequired: "Marque la casilla para decir que está de acuerdo. Sin ella, no se guarda nada de lo que escribió.",
            .send: "Enviar",
            .openUntil: "Puede enviar sus respuestas hasta el",
            .thanksTitle: "Gracias",
            .thanksText: "Sus respuestas se recibieron. No se guardó nada más sobre usted.",
            .closedTitle: "Este formulario está cerrado",
            .closedText: "Ya no recibe respuestas. Gracias por su interés.",
            .unknownTitle: "Formulario no encontrado",
            .unknownText: "Este enlace no lleva a ningún formulario. Compruébelo con la persona que se lo dio.",
            .busyTitle: "Demasiadas respuestas a la vez",
            .busyText: "Espere unos minutos y vuelva a enviar sus respuestas.",
            .notSentTitle: "Sus respuestas no se enviaron",
            .nothingWritten: "Escriba algo en al menos una respuesta.",
            .tooLong: "Una respuesta es demasiado larga. Acórtela, por favor.",
            .staleForm: "Esta página no está al día. Abra el enlace de nuevo.",
            .failed: "Algo falló de nuestro lado y no se guardó nada. Inténtelo de nuevo más tarde.",
        ],
        "ar": [
            .skipToContent: "انتقل إلى المحتوى",
            .anonymous: "لست مضطرًا إلى ذكر اسمك.",
            .noTrace: "لا يحتفظ هذا النموذج بأي عنوان لجهازك ولا بأي شيء عن متصفحك؛ فقط يوم الإرسال.",
            .nameLabel: "اسمك",
            .nameHint: "اتركه فارغًا لتبقى مجهول الهوية. لا يراه إلا القائمون على هذا التقييم.",
            .answersHeading: "إجاباتك",
            .optional: "اختياري",
            .openHint: "قد تظهر هذه الإجابة في السجل المنشور، دون اسمك.",
            .confidentialHint: "سري: لا يراه إلا القائمون على هذا التقييم؛ ولا يُنشر أبدًا.",
            .choose: "اختر…",
            .yes: "نعم",
            .no: "لا",
            .dateHint: "السنة-الشهر-اليوم، مثل 2026-03-01.",
            .consentHeading: "موافقتك",
            .consentText: "أوافق على استخدام ما أكتبه هنا في تقييم حقوق الإنسان هذا، كما توضح هذه الصفحة.",
            .consentRequired: "يرجى وضع علامة في المربع للتعبير عن موافقتك. بدونها لا يُحفظ شيء مما كتبت.",
            .send: "إرسال",
            .openUntil: "يمكنك إرسال إجاباتك حتى",
            .thanksTitle: "شكرًا لك",
            .thanksText: "وصلت إجاباتك. لم يُحفظ أي شيء آخر عنك.",
            .closedTitle: "هذا النموذج مغلق",
            .closedText: "لم يعد يستقبل إجابات. شكرًا لاهتمامك.",
            .unknownTitle: "النموذج غير موجود",
            .unknownText: "هذا الرابط لا يؤدي إلى أي نموذج. تحقق منه مع الشخص الذي أعطاك إياه.",
            .busyTitle: "إجابات كثيرة في وقت واحد",
            .busyText: "يرجى الانتظار بضع دقائق ثم إرسال إجاباتك مرة أخرى.",
            .notSentTitle: "لم تُرسل إجاباتك",
            .nothingWritten: "يرجى كتابة شيء في إجابة واحدة على الأقل.",
            .tooLong: "إحدى الإجابات طويلة جدًا. يرجى تقصيرها.",
            .staleForm: "هذه الصفحة قديمة. يرجى فتح الرابط مرة أخرى.",
            .failed: "حدث خطأ من جهتنا ولم يُحفظ شيء. يرجى المحاولة لاحقًا.",
        ],
    ]
}
