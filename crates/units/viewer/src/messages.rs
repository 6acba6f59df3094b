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
    (
        "live_no_broker",
        "The viewer lost the message broker: nothing can be shown or saved until it is back.",
    ),
    (
        "live_no_state",
        "The state unit is offline: your keys cannot be read or changed until it is back.",
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
    (
        "invalid_json",
        "This looks like JSON but is not valid (line {line}, column {column}). Fix it, or tick \"Store exactly as text\".",
    ),
    (
        "invalid_json_eof",
        "This looks like JSON but ends too early (line {line}, column {column}): a bracket or quote is not closed. Fix it, or tick \"Store exactly as text\".",
    ),
    ("conflict_title", "This key was changed elsewhere while you were editing"),
    (
        "conflict_lead",
        "Nothing was saved. Choose which value to keep.",
    ),
    ("conflict_deleted", "It was deleted meanwhile."),
    ("conflict_saved", "Saved now"),
    ("conflict_yours", "Yours (not saved)"),
    ("keep_yours", "Save mine over it"),
    ("keep_saved", "Keep the saved value"),
    (
        "delete_conflict",
        "{key} was changed elsewhere since the table was shown, so it was not deleted. Check its new value, then delete it again.",
    ),
    ("show_all", "Show all"),
    ("bytes", "bytes"),
    (
        "value_too_large",
        "This value is {size} bytes; the limit is {limit} bytes. Nothing was sent, and your text is still here.",
    ),
    ("edit_key", "Edit {key}"),
    ("delete_key", "Delete {key}"),
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
    (
        "live_no_broker",
        "ビューアーがメッセージブローカーに接続できません。復旧するまで表示も保存もできません。",
    ),
    (
        "live_no_state",
        "状態ユニットが停止しています。復旧するまでキーの読み込みも変更もできません。",
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
    (
        "invalid_json",
        "JSONのようですが正しくありません（{line}行目の{column}文字目）。修正するか、「テキストとしてそのまま保存」を選んでください。",
    ),
    (
        "invalid_json_eof",
        "JSONのようですが途中で終わっています（{line}行目の{column}文字目）。括弧か引用符が閉じていません。修正するか、「テキストとしてそのまま保存」を選んでください。",
    ),
    ("conflict_title", "編集中に、このキーが他の場所で変更されました"),
    ("conflict_lead", "まだ何も保存していません。残す値を選んでください。"),
    ("conflict_deleted", "その間に削除されました。"),
    ("conflict_saved", "現在保存されている値"),
    ("conflict_yours", "あなたの値（未保存）"),
    ("keep_yours", "自分の値で上書きする"),
    ("keep_saved", "保存されている値を残す"),
    (
        "delete_conflict",
        "表の表示後に {key} が他の場所で変更されたため、削除していません。新しい値を確認してから、もう一度削除してください。",
    ),
    ("show_all", "すべて表示"),
    ("bytes", "バイト"),
    (
        "value_too_large",
        "この値は {size} バイトで、上限は {limit} バイトです。送信していません。入力した内容はそのまま残っています。",
    ),
    ("edit_key", "{key} を編集"),
    ("delete_key", "{key} を削除"),
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
