//! The sample app's texts, in English and Japanese.

use modt_web::Catalog;

/// The app's messages.
pub const CATALOG: Catalog = Catalog { en: EN, ja: JA };

const EN: &[(&str, &str)] = &[
    ("unit_label", "Sample app"),
    ("hello_title", "Welcome"),
    (
        "hello_lead",
        "You reached the sample app. This is who the identify unit says you are:",
    ),
    ("username", "User name"),
    ("user_id", "User id"),
    ("role", "Role"),
    ("open_viewer", "Open your settings in the viewer"),
    ("no_viewer", "The viewer is not running."),
    ("open_todos", "Open your todos"),
    ("logout", "Log out"),
    ("signed_out_title", "You are not logged in"),
    ("signed_out_lead", "This app needs to know who you are."),
    (
        "expired_lead",
        "Your session has ended (logged out or expired).",
    ),
    ("login", "Log in"),
    (
        "no_identify",
        "The sign-in service is not running right now. Please try again in a moment.",
    ),
];

const JA: &[(&str, &str)] = &[
    ("unit_label", "サンプルアプリ"),
    ("hello_title", "ようこそ"),
    (
        "hello_lead",
        "サンプルアプリへようこそ。認証ユニットによると、あなたは次のユーザーです：",
    ),
    ("username", "ユーザー名"),
    ("user_id", "ユーザーID"),
    ("role", "ロール"),
    ("open_viewer", "ビューアーで設定を開く"),
    ("no_viewer", "ビューアーは起動していません。"),
    ("open_todos", "TODOを開く"),
    ("logout", "ログアウト"),
    ("signed_out_title", "ログインしていません"),
    (
        "signed_out_lead",
        "このアプリを使うにはログインが必要です。",
    ),
    (
        "expired_lead",
        "セッションが終了しました（ログアウトまたは期限切れ）。",
    ),
    ("login", "ログイン"),
    (
        "no_identify",
        "現在サインインサービスが動いていません。しばらくしてからお試しください。",
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_have_every_message() {
        assert!(
            super::CATALOG.missing().is_empty(),
            "{:?}",
            super::CATALOG.missing()
        );
    }
}
