//! The viewer's texts, in English and Japanese.

use modt_web::Catalog;

/// The viewer's messages.
pub const CATALOG: Catalog = Catalog { en: EN, ja: JA };

const EN: &[(&str, &str)] = &[
    ("unit_label", "Viewer"),
    ("title", "Your keys"),
    ("title_other", "Keys of user"),
    ("key", "Key"),
    ("value", "Value"),
    ("version", "Version"),
    ("updated", "Last change (UTC)"),
    ("actions", ""),
    ("empty", "No keys yet. Add one below."),
    ("edit", "Edit"),
    ("delete", "Delete"),
    ("add_title", "Add or update a key"),
    (
        "value_hint",
        "JSON (5, true, {\"a\": 1}, [1, 2], \"text\") or plain text without quotes.",
    ),
    ("as_text", "Store exactly as text"),
    ("save", "Save"),
    ("clear_all", "Delete all keys…"),
    ("clear_title", "Delete all keys?"),
    (
        "clear_lead",
        "This deletes every key of this user. It cannot be undone.",
    ),
    ("clear_confirm", "Yes, delete all keys"),
    ("cancel", "Cancel"),
    ("saved", "Saved"),
    ("deleted", "Deleted"),
    ("cleared", "All keys deleted."),
    ("key_required", "Please enter a key."),
    ("live", "Live: changes from elsewhere appear here."),
    (
        "live_lost",
        "Reconnecting… changes made elsewhere do not appear until the connection is back.",
    ),
    ("open_user", "Open a user's keys"),
    ("user_id", "User id"),
    ("open", "Open"),
    ("signed_out_title", "Please log in"),
    (
        "signed_out_lead",
        "The viewer shows your own keys, so it needs to know who you are.",
    ),
    ("login", "Log in"),
    (
        "no_identify",
        "The sign-in service is not running right now. Please try again in a moment.",
    ),
    ("forbidden_title", "Not allowed"),
    (
        "forbidden_lead",
        "Only administrators can open another user's keys.",
    ),
    ("unavailable_title", "The state unit is not answering"),
    (
        "unavailable_lead",
        "Your keys cannot be shown or changed right now. Please try again in a moment.",
    ),
    ("csrf_failed", "This form has expired. Please try again."),
    ("back", "Back to the keys"),
];

const JA: &[(&str, &str)] = &[
    ("unit_label", "ビューアー"),
    ("title", "あなたのキー"),
    ("title_other", "ユーザーのキー："),
    ("key", "キー"),
    ("value", "値"),
    ("version", "バージョン"),
    ("updated", "最終更新（UTC）"),
    ("actions", ""),
    (
        "empty",
        "キーはまだありません。下のフォームから追加できます。",
    ),
    ("edit", "編集"),
    ("delete", "削除"),
    ("add_title", "キーを追加・更新"),
    (
        "value_hint",
        "JSON（5、true、{\"a\": 1}、[1, 2]、\"文字列\"）または引用符なしのテキスト。",
    ),
    ("as_text", "テキストとしてそのまま保存"),
    ("save", "保存"),
    ("clear_all", "すべてのキーを削除…"),
    ("clear_title", "すべてのキーを削除しますか？"),
    (
        "clear_lead",
        "このユーザーのすべてのキーを削除します。元に戻せません。",
    ),
    ("clear_confirm", "はい、すべて削除します"),
    ("cancel", "キャンセル"),
    ("saved", "保存しました："),
    ("deleted", "削除しました："),
    ("cleared", "すべてのキーを削除しました。"),
    ("key_required", "キーを入力してください。"),
    ("live", "ライブ：他の場所での変更もここに表示されます。"),
    (
        "live_lost",
        "再接続中…接続が戻るまで、他の場所での変更は表示されません。",
    ),
    ("open_user", "ユーザーのキーを開く"),
    ("user_id", "ユーザーID"),
    ("open", "開く"),
    ("signed_out_title", "ログインしてください"),
    (
        "signed_out_lead",
        "ビューアーはあなた自身のキーを表示するため、ログインが必要です。",
    ),
    ("login", "ログイン"),
    (
        "no_identify",
        "現在サインインサービスが動いていません。しばらくしてからお試しください。",
    ),
    ("forbidden_title", "許可されていません"),
    (
        "forbidden_lead",
        "他のユーザーのキーを開けるのは管理者だけです。",
    ),
    ("unavailable_title", "状態ユニットが応答しません"),
    (
        "unavailable_lead",
        "現在キーを表示・変更できません。しばらくしてからお試しください。",
    ),
    (
        "csrf_failed",
        "フォームの有効期限が切れました。もう一度お試しください。",
    ),
    ("back", "キー一覧に戻る"),
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
