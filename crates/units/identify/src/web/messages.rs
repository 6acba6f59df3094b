//! Every text the identify unit's pages show, in English and Japanese.

use modt_web::Catalog;

/// The identify unit's messages.
pub const CATALOG: Catalog = Catalog { en: EN, ja: JA };

const EN: &[(&str, &str)] = &[
    ("unit_label", "Sign-in"),
    ("login_title", "Log in"),
    ("login_lead", "Log in to continue to your apps."),
    ("username", "User name"),
    ("password", "Password"),
    ("password_confirm", "Confirm password"),
    ("login_button", "Log in"),
    ("no_account", "No account yet?"),
    ("register_link", "Create one"),
    ("have_account", "Already have an account?"),
    ("login_link", "Log in"),
    ("register_title", "Create an account"),
    ("register_lead", "Pick a user name and a password."),
    ("register_button", "Create account"),
    (
        "username_hint",
        "3–32 characters: letters A–Z and a–z, digits, '.', '_' and '-'.",
    ),
    ("password_hint", "At least 8 characters."),
    ("wrong_credentials", "Wrong user name or password."),
    (
        "throttled",
        "Too many failed attempts. Please try again in {minutes}.",
    ),
    (
        "register_throttled",
        "Too many accounts were created from your address. Please try again in {minutes}.",
    ),
    (
        "busy",
        "Too many sign-ins at this moment. Please try again in a few seconds.",
    ),
    ("csrf_failed", "This form has expired. Please try again."),
    ("taken", "That user name is taken. Please pick another."),
    (
        "username_rules",
        "User names are 3–32 characters: letters A–Z and a–z, digits, '.', '_' and '-'.",
    ),
    ("password_short", "Passwords need at least 8 characters."),
    ("password_long", "Passwords may be at most 1024 bytes long."),
    ("password_mismatch", "The two passwords differ."),
    (
        "registration_closed",
        "Registration is closed. Please ask an administrator for an account.",
    ),
    ("registered", "Account created. Please log in."),
    ("logged_out", "You are logged out."),
    ("expired", "Your session has ended. Please log in again."),
    ("waiting_title", "Signing you in…"),
    ("waiting_lead", "Waiting for an app to open your session."),
    ("noscript", "This page refreshes by itself."),
    ("opening", "Opening"),
    ("timeout_title", "No app answered"),
    (
        "timeout_lead",
        "You are logged in, but no app said it was ready in time. Open one of these:",
    ),
    ("no_apps", "No apps with a web page are running right now."),
    ("try_again", "Wait again"),
    ("logout", "Log out"),
    ("logout_title", "Log out?"),
    ("logout_lead", "This ends your session in every app."),
    ("home_title", "You are logged in"),
    ("apps", "Apps"),
    ("role", "Role"),
    ("user_id", "User id"),
];

const JA: &[(&str, &str)] = &[
    ("unit_label", "サインイン"),
    ("login_title", "ログイン"),
    ("login_lead", "アプリを利用するにはログインしてください。"),
    ("username", "ユーザー名"),
    ("password", "パスワード"),
    ("password_confirm", "パスワード（確認）"),
    ("login_button", "ログイン"),
    ("no_account", "アカウントをお持ちでない方は"),
    ("register_link", "新規登録"),
    ("have_account", "アカウントをお持ちの方は"),
    ("login_link", "ログイン"),
    ("register_title", "アカウント作成"),
    ("register_lead", "ユーザー名とパスワードを決めてください。"),
    ("register_button", "アカウントを作成"),
    ("username_hint", "3〜32文字：英小文字・英大文字・数字と「.」「_」「-」"),
    ("password_hint", "8文字以上"),
    ("wrong_credentials", "ユーザー名またはパスワードが正しくありません。"),
    ("throttled", "ログインの失敗が多すぎます。{n}分後にもう一度お試しください。"),
    ("register_throttled", "このアドレスから作成されたアカウントが多すぎます。{n}分後にもう一度お試しください。"),
    ("busy", "ただいまサインインが混み合っています。数秒後にもう一度お試しください。"),
    ("csrf_failed", "フォームの有効期限が切れました。もう一度お試しください。"),
    ("taken", "そのユーザー名は既に使われています。別の名前を選んでください。"),
    (
        "username_rules",
        "ユーザー名は3〜32文字：英小文字・英大文字・数字と「.」「_」「-」です。",
    ),
    ("password_short", "パスワードは8文字以上にしてください。"),
    ("password_long", "パスワードは1024バイト以内にしてください。"),
    ("password_mismatch", "2つのパスワードが一致しません。"),
    ("registration_closed", "新規登録は受け付けていません。管理者にアカウントを依頼してください。"),
    ("registered", "アカウントを作成しました。ログインしてください。"),
    ("logged_out", "ログアウトしました。"),
    ("expired", "セッションが終了しました。もう一度ログインしてください。"),
    ("waiting_title", "サインインしています…"),
    ("waiting_lead", "アプリの準備ができるのを待っています。"),
    ("noscript", "このページは自動で更新されます。"),
    ("opening", "次のアプリを開きます："),
    ("timeout_title", "アプリが応答しませんでした"),
    ("timeout_lead", "ログインは完了していますが、時間内に準備のできたアプリがありません。次のアプリを開けます："),
    ("no_apps", "現在、Webページを持つアプリは起動していません。"),
    ("try_again", "もう一度待つ"),
    ("logout", "ログアウト"),
    ("logout_title", "ログアウトしますか？"),
    ("logout_lead", "すべてのアプリでセッションが終了します。"),
    ("home_title", "ログイン中"),
    ("apps", "アプリ"),
    ("role", "ロール"),
    ("user_id", "ユーザーID"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_describe_the_same_user_name_rules() {
        use modt_web::Lang;
        // Upper case is allowed (accounts::check_username): every hint says so.
        assert!(crate::accounts::check_username("Alice.B-2").is_ok());
        for key in ["username_hint", "username_rules"] {
            assert!(super::CATALOG.text(Lang::En, key).contains("A–Z"), "{key}");
            assert!(
                super::CATALOG.text(Lang::Ja, key).contains("英大文字"),
                "{key}"
            );
        }
    }

    #[test]
    fn both_languages_have_every_message() {
        assert!(
            super::CATALOG.missing().is_empty(),
            "{:?}",
            super::CATALOG.missing()
        );
    }
}
