//! The todo page's texts, in English and Japanese. `js_*` texts are handed to the page's
//! script (as `data-t-*` attributes).

use modt_web::Catalog;

/// The todo unit's messages.
pub const CATALOG: Catalog = Catalog { en: EN, ja: JA };

const EN: &[(&str, &str)] = &[
    ("unit_label", "Todos"),
    ("title", "Your todos"),
    ("add_title", "Add a todo"),
    ("title_label", "What is to be done"),
    ("notes_label", "Notes (optional)"),
    ("add", "Add"),
    ("list_title", "List"),
    ("show", "Show"),
    ("filter_all", "All"),
    ("filter_open", "Open"),
    ("filter_done", "Done"),
    ("order", "Order"),
    ("sort_new", "Newest first"),
    ("sort_old", "Oldest first"),
    ("sort_changed", "Recently changed"),
    ("sort_title", "Title A–Z"),
    ("empty", "Nothing to do. Add a todo above."),
    ("more", "Show more"),
    ("live", "Live: changes from other tabs appear here."),
    ("no_gateway", "The API gateway is offline: your todos cannot be shown or changed until it is back."),
    ("signed_out_title", "Please log in"),
    ("signed_out_lead", "Your todos are yours alone, so this page needs to know who you are."),
    ("login", "Log in"),
    ("forbidden_title", "Not allowed"),
    ("forbidden_lead", "This page is not for your account."),
    ("no_identify", "The sign-in service is not available right now. Please try again shortly."),
    ("js_edit", "Edit"),
    ("js_delete", "Delete"),
    ("js_save", "Save"),
    ("js_cancel", "Cancel"),
    ("js_done", "Done"),
    ("js_lost", "Reconnecting… changes from other tabs appear once the connection is back."),
    ("js_changed", "This todo was changed elsewhere meanwhile; it now shows the latest version. Please try again."),
    ("js_gone", "This todo was deleted elsewhere."),
    ("js_signed_out", "You are no longer logged in. Please log in again."),
    ("js_unavailable", "The todo service did not answer. Please try again shortly."),
    ("js_failed", "That did not work:"),
];

const JA: &[(&str, &str)] = &[
    ("unit_label", "TODO"),
    ("title", "あなたのTODO"),
    ("add_title", "TODOを追加"),
    ("title_label", "やること"),
    ("notes_label", "メモ（任意）"),
    ("add", "追加"),
    ("list_title", "一覧"),
    ("show", "表示"),
    ("filter_all", "すべて"),
    ("filter_open", "未完了"),
    ("filter_done", "完了"),
    ("order", "並び順"),
    ("sort_new", "新しい順"),
    ("sort_old", "古い順"),
    ("sort_changed", "最近変更した順"),
    ("sort_title", "タイトル順"),
    ("empty", "やることはありません。上で追加してください。"),
    ("more", "さらに表示"),
    ("live", "ライブ：ほかのタブでの変更がここに表示されます。"),
    ("no_gateway", "APIゲートウェイが停止しています。復旧するまでTODOの表示・変更はできません。"),
    ("signed_out_title", "ログインしてください"),
    ("signed_out_lead", "TODOはあなただけのものです。このページにはあなたが誰かが必要です。"),
    ("login", "ログイン"),
    ("forbidden_title", "許可されていません"),
    ("forbidden_lead", "このページはあなたのアカウントでは使えません。"),
    ("no_identify", "ログインサービスが現在利用できません。しばらくしてからお試しください。"),
    ("js_edit", "編集"),
    ("js_delete", "削除"),
    ("js_save", "保存"),
    ("js_cancel", "キャンセル"),
    ("js_done", "完了"),
    ("js_lost", "再接続中… 接続が戻るまで、ほかのタブでの変更は表示されません。"),
    ("js_changed", "このTODOはほかの場所で変更されました。最新の内容を表示しています。もう一度お試しください。"),
    ("js_gone", "このTODOはほかの場所で削除されました。"),
    ("js_signed_out", "ログインが切れました。もう一度ログインしてください。"),
    ("js_unavailable", "TODOサービスが応答しませんでした。しばらくしてからお試しください。"),
    ("js_failed", "うまくいきませんでした："),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_text() {
        assert!(CATALOG.missing().is_empty(), "{:?}", CATALOG.missing());
    }
}
