//! The default text of each email template (Tollgate's own wording).

/// One default template.
pub struct Default {
    /// The template name as the path spells it (`applicationApprovedNotificationMessage`).
    pub name: &'static str,
    /// Title shown to administrators.
    pub title: &'static str,
    /// When the email is sent.
    pub description: &'static str,
    /// Subject line.
    pub subject: &'static str,
    /// The paragraphs of the body, between the greeting and the signature.
    pub paragraphs: &'static [&'static str],
    /// The parameters beyond the ones every template has: (name, title).
    pub parameters: &'static [(&'static str, &'static str)],
}

/// The parameters every template has: (name, title).
pub const COMMON_PARAMETERS: &[(&str, &str)] = &[
    ("DevFirstName", "Developer first name"),
    ("DevLastName", "Developer last name"),
    ("OrganizationName", "Organization name"),
    ("DevPortalUrl", "Developer portal URL"),
];

/// Every template, in the contract's order.
pub const DEFAULTS: &[Default] = &[
    Default {
        name: "applicationApprovedNotificationMessage",
        title: "Application gallery submission approved",
        description: "Sent to a developer when the application they submitted to the application gallery is approved.",
        subject: "Your application $AppName is published in the application gallery",
        paragraphs: &[
            "Your application $AppName has been approved and is now published in the application gallery: http://$DevPortalUrl/Applications/Details/$AppId",
        ],
        parameters: &[("AppId", "Application id"), ("AppName", "Application name")],
    },
    Default {
        name: "accountClosedDeveloper",
        title: "Developer farewell letter",
        description: "Sent to a developer when their account is closed.",
        subject: "Your $OrganizationName API account is closed",
        paragraphs: &[
            "Your account on the $OrganizationName developer portal has been closed, and its subscriptions with it.",
            "If this is a mistake, contact us through http://$DevPortalUrl.",
        ],
        parameters: &[],
    },
    Default {
        name: "quotaLimitApproachingDeveloperNotificationMessage",
        title: "Developer quota limit approaching notification",
        description: "Sent to a developer when their subscription approaches its usage quota.",
        subject: "Your $ProdName subscription is close to its quota",
        paragraphs: &[
            "Your subscription to $ProdName has used $CallsCount of its $CallQuota calls ($CallsPercentage%) and $Bandwidth of its $BandwidthQuota KB ($BandwidthPercentage%) this period.",
            "Calls beyond the quota are refused until $QuotaResetDate. See http://$DevPortalUrl to change your plan.",
        ],
        parameters: &[
            ("ProdName", "Product name"),
            ("CallsCount", "Calls made"),
            ("CallQuota", "Call quota"),
            ("CallsPercentage", "Share of the call quota used"),
            ("Bandwidth", "Bandwidth used"),
            ("BandwidthQuota", "Bandwidth quota"),
            ("BandwidthPercentage", "Share of the bandwidth quota used"),
            ("QuotaResetDate", "When the quota is renewed"),
        ],
    },
    Default {
        name: "newDeveloperNotificationMessage",
        title: "New developer account confirmation",
        description: "Sent to a developer after they sign up on the developer portal.",
        subject: "Welcome to the $OrganizationName API!",
        paragraphs: &[
            "Your account on the $OrganizationName developer portal is ready: sign in at http://$DevPortalUrl with $DevUsername, browse the APIs and subscribe to a product to get your keys.",
        ],
        parameters: &[("DevUsername", "Developer user name")],
    },
    Default {
        name: "emailChangeIdentityDefault",
        title: "Email change confirmation",
        description: "Sent to a developer to confirm a change of their email address.",
        subject: "Confirm your new $OrganizationName API account email",
        paragraphs: &[
            "To confirm that $DevEmail is your new email address, open this link: $ConfirmUrl",
            "If you did not ask for this change, ignore this email.",
        ],
        parameters: &[
            ("DevEmail", "Developer email"),
            ("ConfirmUrl", "Confirmation link"),
        ],
    },
    Default {
        name: "inviteUserNotificationMessage",
        title: "Invite user",
        description: "Sent to a person invited to the developer portal.",
        subject: "You are invited to the $OrganizationName API developer portal",
        paragraphs: &[
            "You are invited to join the $OrganizationName developer portal. Accept the invitation and choose a password here: $ConfirmUrl",
        ],
        parameters: &[("ConfirmUrl", "Invitation link")],
    },
    Default {
        name: "newCommentNotificationMessage",
        title: "New comment added to an issue",
        description: "Sent to a developer when someone comments on an issue they reported.",
        subject: "$IssueName has a new comment",
        paragraphs: &[
            "Your issue $IssueName has a new comment: $CommentText",
            "See the whole conversation at http://$DevPortalUrl/Issues/$IssueId.",
        ],
        parameters: &[
            ("IssueId", "Issue id"),
            ("IssueName", "Issue name"),
            ("CommentText", "Comment text"),
        ],
    },
    Default {
        name: "confirmSignUpIdentityDefault",
        title: "New developer account confirmation",
        description: "Sent to a developer to confirm the email address they signed up with.",
        subject: "Confirm your $OrganizationName API account",
        paragraphs: &[
            "Thank you for signing up. To activate your account, confirm your email address with this link: $ConfirmUrl",
        ],
        parameters: &[("ConfirmUrl", "Confirmation link")],
    },
    Default {
        name: "newIssueNotificationMessage",
        title: "New issue received",
        description: "Sent to a developer after they report an issue.",
        subject: "Your request $IssueName was received",
        paragraphs: &[
            "We received your issue $IssueName and will look into it. Follow it at http://$DevPortalUrl/Issues/$IssueId.",
        ],
        parameters: &[("IssueId", "Issue id"), ("IssueName", "Issue name")],
    },
    Default {
        name: "purchaseDeveloperNotificationMessage",
        title: "New subscription activated",
        description: "Sent to a developer when their subscription to a product is activated.",
        subject: "Your subscription to $ProdName is active",
        paragraphs: &[
            "Your subscription to $ProdName is active. Your keys are on your profile page: http://$DevPortalUrl/developer",
        ],
        parameters: &[("ProdName", "Product name")],
    },
    Default {
        name: "passwordResetIdentityDefault",
        title: "Password change confirmation",
        description: "Sent to a developer who asked to reset their password.",
        subject: "Reset your $OrganizationName API account password",
        paragraphs: &[
            "To choose a new password, open this link: $ConfirmUrl",
            "If you did not ask for a new password, ignore this email.",
        ],
        parameters: &[("ConfirmUrl", "Password reset link")],
    },
    Default {
        name: "passwordResetByAdminNotificationMessage",
        title: "Password reset by an administrator",
        description: "Sent to a developer whose password an administrator reset.",
        subject: "Your $OrganizationName API account password was reset",
        paragraphs: &[
            "An administrator reset the password of your account. Sign in at http://$DevPortalUrl with your new password: $DevPassword",
        ],
        parameters: &[("DevPassword", "New password")],
    },
    Default {
        name: "rejectDeveloperNotificationMessage",
        title: "Subscription request declined",
        description: "Sent to a developer when their request to subscribe to a product is declined.",
        subject: "Your subscription request for $ProdName was declined",
        paragraphs: &[
            "Your request to subscribe to $ProdName was declined.",
            "Contact us through http://$DevPortalUrl if you have questions.",
        ],
        parameters: &[("ProdName", "Product name")],
    },
    Default {
        name: "requestDeveloperNotificationMessage",
        title: "Subscription request received",
        description: "Sent to a developer when their request to subscribe to a product awaits approval.",
        subject: "Your subscription request for $ProdName was received",
        paragraphs: &[
            "We received your request to subscribe to $ProdName. You will get an email once it is approved.",
        ],
        parameters: &[("ProdName", "Product name")],
    },
];
