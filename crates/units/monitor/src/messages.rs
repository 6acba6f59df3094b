//! The monitor's texts, in English and Japanese (the page's script gets its texts from
//! `data-t-*` attributes rendered from here).

use modt_web::Catalog;

/// The monitor's messages.
pub const CATALOG: Catalog = Catalog { en: EN, ja: JA };

const EN: &[(&str, &str)] = &[
    ("unit_label", "Monitor"),
    ("monitor_title", "Live monitor"),
    ("filter", "Topic filter"),
    ("filter_hint", "MQTT wildcards: + one level, # everything below"),
    ("buffer_hint", "a new page shows the last {n} messages"),
    ("masked_hint", "secret fields are masked"),
    ("apply", "Apply"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("connecting", "Connecting…"),
    ("live", "Live"),
    ("paused", "Paused: {n} new messages waiting"),
    ("paused_one", "Paused: 1 new message waiting"),
    ("waiting", "{n} waiting"),
    ("disconnected", "Disconnected; reconnecting…"),
    ("dropped", "{n} messages dropped from the view (too many at once)"),
    ("dropped_one", "1 message dropped from the view (too many at once)"),
    ("bad_filter", "Not a topic filter: {why}"),
    ("topics", "Topics"),
    ("totals", "{total} messages on {tracked} topics, {rate}/s"),
    ("untracked", "{n} more on topics beyond the first {max} (not in the tree)"),
    ("replies", "{n} replies"),
    ("replies_one", "1 reply"),
    ("reply_group", "One-off replies to {path}/…, counted together"),
    ("spark", "{rate} messages/s over the last minute"),
    ("messages", "Messages, newest first"),
    ("time", "Time"),
    ("topic", "Topic"),
    ("retained", "Retained"),
    ("size", "Size"),
    ("payload", "Payload"),
    ("truncated", "only the first {shown} of {size} bytes are shown"),
    ("more", "… {n} more"),
    ("masked", "{n} secret fields masked"),
    ("masked_one", "1 secret field masked"),
    ("close", "Close"),
    ("expand", "Show the topics under {path}"),
    ("collapse", "Hide the topics under {path}"),
    ("logout", "Log out"),
    ("forbidden_title", "Administrators only"),
    (
        "forbidden_lead",
        "The monitor shows every message on the bus, so only administrators may open it. Ask an administrator for access.",
    ),
    ("signed_out_title", "You are not logged in"),
    ("signed_out_lead", "The monitor is for administrators. Please log in first."),
    (
        "expired_lead",
        "Your session has ended (logged out or expired).",
    ),
    ("login", "Log in"),
    ("unavailable_title", "Sign-in service unavailable"),
    (
        "no_identify",
        "The sign-in service is not running right now, so the monitor cannot check who you are. Please try again in a moment.",
    ),
];

const JA: &[(&str, &str)] = &[
    ("unit_label", "モニター"),
    ("monitor_title", "ライブモニター"),
    ("filter", "トピックフィルター"),
    ("filter_hint", "MQTT ワイルドカード：+ は1階層、# は以下すべて"),
    ("buffer_hint", "新しいページには直近 {n} 件のメッセージが表示されます"),
    ("masked_hint", "秘密のフィールドは伏せ字になります"),
    ("apply", "適用"),
    ("pause", "一時停止"),
    ("resume", "再開"),
    ("connecting", "接続中…"),
    ("live", "ライブ"),
    ("paused", "一時停止中：新着 {n} 件"),
    ("paused_one", "一時停止中：新着 1 件"),
    ("waiting", "待機中 {n} 件"),
    ("disconnected", "切断されました。再接続中…"),
    ("dropped", "{n} 件のメッセージを表示から省きました（多すぎるため）"),
    ("dropped_one", "1 件のメッセージを表示から省きました（多すぎるため）"),
    ("bad_filter", "トピックフィルターが正しくありません：{why}"),
    ("topics", "トピック"),
    ("totals", "{tracked} トピックで {total} 件、毎秒 {rate} 件"),
    ("untracked", "最初の {max} トピック以外に {n} 件（ツリーには表示されません）"),
    ("replies", "返信 {n} 件"),
    ("replies_one", "返信 1 件"),
    ("reply_group", "{path}/… への一回限りの返信（まとめて数えます）"),
    ("spark", "直近1分間で毎秒 {rate} 件"),
    ("messages", "メッセージ（新しい順）"),
    ("time", "時刻"),
    ("topic", "トピック"),
    ("retained", "保持"),
    ("size", "サイズ"),
    ("payload", "ペイロード"),
    ("truncated", "{size} バイト中、最初の {shown} バイトのみ表示しています"),
    ("more", "… ほか {n} 件"),
    ("masked", "{n} 個の秘密のフィールドを伏せ字にしました"),
    ("masked_one", "1 個の秘密のフィールドを伏せ字にしました"),
    ("close", "閉じる"),
    ("expand", "{path} の下のトピックを表示"),
    ("collapse", "{path} の下のトピックを隠す"),
    ("logout", "ログアウト"),
    ("forbidden_title", "管理者専用です"),
    (
        "forbidden_lead",
        "モニターはバス上のすべてのメッセージを表示するため、管理者のみが開けます。管理者に依頼してください。",
    ),
    ("signed_out_title", "ログインしていません"),
    ("signed_out_lead", "モニターは管理者用です。先にログインしてください。"),
    (
        "expired_lead",
        "セッションが終了しました（ログアウトまたは期限切れ）。",
    ),
    ("login", "ログイン"),
    ("unavailable_title", "サインインサービスを利用できません"),
    (
        "no_identify",
        "現在サインインサービスが動いていないため、利用者を確認できません。しばらくしてからお試しください。",
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
