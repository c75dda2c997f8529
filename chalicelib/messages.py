"""Every message the app shows a user, in one catalogue (Japanese first).

Keys are stable identifiers; an English catalogue can be added beside this one.
"""
from __future__ import annotations

JA: dict[str, str] = {
    "required": "入力してください。",
    "login.failed": "ユーザーIDまたはパスワードが正しくありません。",
    "login.temporary_hint": "仮パスワードは一度だけ、有効期限内に使えます。使えない場合は、ご所属の会社の管理者、または{agency}に再発行を依頼してください。",
    "csrf.failed": "画面の有効期限が切れました。お手数ですが、もう一度操作してください。",
    "password.current_wrong": "現在のパスワードが正しくありません。",
    "password.too_short": "新しいパスワードは{min}文字以上にしてください。",
    "password.too_long": "新しいパスワードが長すぎます(半角で{max}文字、全角で約{max_wide}文字まで)。",
    "password.same_as_user_id": "ユーザーIDを含むパスワードは使えません。",
    "password.common": "推測されやすいパスワードです。ほかの人が思いつかない語句を組み合わせてください。",
    "password.same_as_current": "現在のパスワードとは違うパスワードにしてください。",
    "password.mismatch": "確認用のパスワードが一致しません。",
    "password.changed": "パスワードを変更しました。",
    "password.must_change": "はじめてのログインです。新しいパスワードを設定してください。",
    "logout.done": "ログアウトしました。",
    "session.expired": "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    "service.unavailable": "ただいま処理できませんでした。しばらくしてからもう一度お試しください。入力内容は保存されていません。",
    "form.too_large": "送信された内容が大きすぎます。",
    "form.bad_request": "送信内容を読み取れませんでした。もう一度お試しください。",
    "form.check": "入力内容を確認してください。",
    "form.unsupported_type": "この形式の送信は受け付けられません。画面を開き直して、もう一度操作してください。",
    "too_long": "{max}文字以内で入力してください。",
    "single_line": "改行を含めずに1行で入力してください(貼り付けた文字に、見えない改行が含まれていることがあります)。",
    "conflict.changed": "ほかの人が先に変更しました。画面を開き直して、もう一度操作してください。",
    "request.busy": "混み合っていたため、依頼を登録できませんでした。入力内容と添付ファイルはそのまま残っています。もう一度「依頼を登録する」を押してください。",
    "comment.busy": "混み合っていたため、コメントを追加できませんでした。入力内容と添付ファイルはそのまま残っています。もう一度「コメント追加」を押してください。",
    "account.user_id_format": "ユーザーIDは半角の英字と数字で、5文字以上(32文字まで)にしてください。",
    "account.user_id_taken": "このユーザーIDは既に使われています。別のIDを指定してください。",
    "account.user_id_check_limited": "ユーザーIDの確認が続いたため、いまは登録できません。1時間ほどおいてから、もう一度お試しください。",
    "account.kana_format": "カタカナで入力してください(スペースと「ー」も使えます)。",
    "account.phone_format": "電話番号は数字とハイフンで入力してください(例: 03-1234-5678)。",
    "account.email_format": "メールアドレスの形式が正しくありません(例: taro@example.co.jp)。",
    "account.created": "アカウントを登録しました。ログインのご案内メールを送信しました。",
    "account.created_mail_failed": "アカウントを登録しましたが、ログインのご案内メールを送信できませんでした。しばらくしてから「案内メールを再送」を押してください。",
    "account.updated": "アカウント情報を更新しました。",
    "account.deactivated": "アカウントを無効にしました。このアカウントではログインできません。",
    "account.reactivated": "アカウントを有効にしました。",
    "account.guidance_resent": "新しい仮パスワードでログインのご案内メールを送信しました。以前の仮パスワードは使えません。",
    "account.unlocked": "ログインのロックを解除しました。",
    "account.mail_resumed": "このメールアドレスへのメール配信を再開しました。",
    "account.cannot_deactivate_self": "ご自身のアカウントは無効にできません。",
    "settings.saved": "設定を保存しました。",
    "ask.client_admin": "貴社の管理者({name}様)、または{agency}",
    "ask.agency_admin": "管理者",
    "company.setup_first": "はじめに制作会社の情報を設定してください。会社名・あなたの表示名・電話番号・メールの差出人名を設定すると、クライアントを登録できます。",
    "company.created": "クライアントを登録しました。続けて、最初のアカウント(クライアントの管理者)を登録してください。",
    "login.slow_down": "ログインの失敗が続いています。{seconds}秒ほど待ってから、もう一度お試しください。",
    "login.locked": "ログインの失敗が続いたため、このアカウントは{minutes}分間ロックされています。時間をおいてお試しいただくか、ご所属の会社の管理者、または{agency}に解除を依頼してください。",
    "login.address_limited": "このネットワークからのログインの失敗が多すぎます。1時間ほどしてから、もう一度お試しください。",
    "reset.sent": "ユーザーIDまたはメールアドレスが登録されていれば、パスワード再設定用のリンクを登録メールアドレスにお送りしました。メールが届かない場合は、ご所属の会社の管理者、または{agency}にお問い合わせください。",
    "reset.invalid": "このリンクは無効か、有効期限が切れています。もう一度、パスワード再設定の手続きをしてください。",
    "reset.done": "パスワードを再設定しました。新しいパスワードでログインしてください。",
    "request.markup": "HTMLタグやスクリプトタグは入力できません。タグをお送りいただく場合は、テキストファイルなどに保存して「添付ファイル」でお送りください。",
    "request.single_line": "件名は1行で入力してください(貼り付けた文字に、見えない改行が含まれていることがあります)。",
    "request.due_invalid": "日付を正しく入力してください(例: 2026-12-24)。",
    "request.due_past": "公開希望日には今日以降の日付を指定してください。",
    # 特急料金・休業日 (urgency rules and closed days)
    "urgency.label": "特急({days}営業日以内) ×{multiplier}",
    "urgency.hint_applies": "公開希望日まで{days}営業日: 特急料金 ×{multiplier} が適用されます",
    "urgency.hint_none": "公開希望日まで{days}営業日: 特急料金はかかりません",
    "urgency.days_range": "1から{max}までの半角数字で入力してください(営業日数)。",
    "urgency.days_duplicate": "{days}営業日以内の条件が重複しています。1行にまとめてください。",
    "urgency.multiplier_range": "1より大きく{max}以下の数で入力してください(例: 1.5)。小数は第2位までです。",
    "urgency.multiplier_order": "日数が長い条件ほど倍率を低くしてください({days}営業日以内が ×{multiplier} です)。",
    "urgency.too_many_rules": "特急料金の条件は{max}件までです。",
    "urgency.closed_order": "終了日は開始日と同じか、それより後の日付にしてください。",
    "urgency.closed_span": "1つの休業期間は{max}日以内にしてください。",
    "urgency.too_many_closed": "休業日は{max}件までです。過ぎた休業日を削除してください。",
    "urgency.saved": "特急料金・休業日を保存しました。",
    "request.participant_unknown": "選択できない依頼関係者が含まれています。画面を開き直してください。",
    "request.status_denied": "この状態には変更できません。",
    "request.assignee_unknown": "選択できない担当者です。",
    "request.created": "依頼を登録しました。お返事まで少々お待ちください。",
    "request.commented": "コメントを追加しました。",
    "request.updated": "依頼を更新しました。",
    "request.memo_added": "社内メモを追加しました。",
    "request.withdrawn": "依頼を取り下げました。",
    # Costly or final actions ask first (web/confirmations.py): the dialog and the page say the same.
    "confirm.back": "戻る",
    "confirm.request": "依頼",
    "confirm.account": "アカウント",
    "confirm.withdraw.title": "この依頼を取り下げますか?",
    "confirm.withdraw.effect": "取り下げると、この依頼への対応は止まり、コメントもできなくなります。",
    "confirm.withdraw.button": "はい、取り下げる",
    "confirm.approve.title": "この見積を承認しますか?",
    "confirm.approve.effect": "承認すると作業を進めます。完了時に {points} pt を消費します。",
    "confirm.approve.total": "見積の合計",
    "confirm.approve.balance": "残りポイント(完了後)",
    "confirm.approve.usage": "今月の利用ポイント(完了後)",
    "confirm.approve.button": "はい、承認する",
    "confirm.deactivate.title": "{name} さんのアカウントを無効にしますか?",
    "confirm.deactivate.effect": "無効にすると、このアカウントではログインできなくなり、メールも届かなくなります。あとで「有効にする」で元に戻せます。",
    "confirm.deactivate.button": "はい、無効にする",
    "request.confirmed": "完了を確認しました。ありがとうございました。",
    "request.nothing_changed": "変更された項目はありません。",
    "request.reopened": "依頼を再開しました。",
    "policy.reopen_expired": "完了から{days}日が過ぎたため、お客様からは再開できません。再開が必要な場合は、コメントでお知らせください。",
    "policy.reopen_agency_only": "この依頼はお客様からは再開できません。再開が必要な場合は、コメントでお知らせください。",
    "settings.reopen_days": "0から{max}までの半角数字で入力してください(日数)。",
    "upload.too_large": "ファイルが大きすぎます。1ファイル{max_mb}MBまでです。",
    "upload.empty": "空のファイルは添付できません。",
    "upload.name": "ファイル名を確認してください(200文字まで)。",
    "upload.type": "ファイルの種類を読み取れませんでした。",
    "upload.too_many": "一度に添付できるのは{max}ファイルまでです。",
    "upload.missing": "アップロードが終わっていないファイルがあります。アップロードの完了を待つか、そのファイルを外してから送信してください。",
    "mail.resend_not_needed": "この通知は送信済みか、送信待ちです。",
    "mail.resent": "通知メールを送信待ちに戻しました。",
    "mail.preferences_saved": "メール通知の設定を保存しました。",
    "points.number": "数字で入力してください(小数は第1位まで。例: 1.5)。",
    "points.positive": "0より大きい数を入力してください。",
    "points.nonzero": "0以外の数を入力してください(減らす場合は「-」を付けます)。",
    "points.too_large": "{max}ポイント以内で入力してください。",
    "points.quantity": "数量は1から{max}までの整数で入力してください。",
    "points.markup": "HTMLタグやスクリプトタグは入力できません。",
    "menu.added": "ポイント表に追加しました。",
    "menu.updated": "ポイント表を更新しました。",
    "menu.category_choose": "分類を一覧から選ぶか、「新しい分類を追加」を選んで名前を入力してください。",
    "menu.category_new_required": "新しい分類の名前を入力してください。",
    "menu.category_both": "新しい分類を入力するときは、分類で「新しい分類を追加」を選んでください。",
    "contract.kind": "契約の種類を選んでください。",
    "contract.unit_price": "1ポイントあたりの単価(円)を1以上の整数で入力してください。",
    "contract.ends_before": "終了日は開始日以降の日付にしてください。",
    "contract.saved": "契約を保存しました。以前の契約は契約履歴に残ります。",
    "points.topped_up": "ポイントをチャージしました。",
    "points.adjusted": "ポイントを調整しました。",
    "estimate.empty": "見積の項目を1つ以上入力してください(ポイント表から選ぶか、項目名とポイントを入力します)。",
    "estimate.too_many": "見積の項目は{max}件までです。",
    "estimate.menu_unknown": "選べない項目です。画面を開き直してください。",
    "estimate.menu_and_free": "ポイント表から選んだ行には項目名・ポイントを入力できません。個別見積にするときは「(個別見積: 下に入力)」を選んでください。",
    "estimate.closed": "完了または取り下げの依頼、ポイントを消費済みの依頼の見積は変更できません。",
    "estimate.answered": "この見積には既にお返事済みです。",
    "estimate.approval_first": "見積の承認が必要な契約です。お客様が見積を承認するまで、対応中・確認待ち・完了にはできません。",
    "estimate.approve_first": "見積がまだ承認されていません。先に見積の内容をご確認のうえ「承認」してください。",
    "estimate.returned_first": "見積が差し戻されています。見積を修正してから状態を変更してください。",
    "estimate.saved": "見積を保存しました。お客様の承認をお待ちください。",
    "estimate.approved": "見積を承認しました。",
    "estimate.returned": "見積を差し戻しました。",
    "statement.month": "月を正しく指定してください(例: 2026-12)。",
    "statement.future": "先の月の明細はまだありません。今月までの月を選んでください。",
    # What the services write into the ledger, the thread and the CSV (shown as stored).
    "ledger.grant_month": "{month}分の付与",
    "ledger.grant_term": "契約期間の付与",
    "ledger.expiry": "{month}分の残りポイントの失効",
    "ledger.automatic": "自動",
    "ledger.charge_note": "見積 {estimate}",
    "ledger.charged": "{points} pt 消費",
    "contract.none": "契約なし",
    "contract.monthly_points": "毎月 {points} pt",
    "contract.term_points": "期間中 {points} pt",
    "contract.unit_price_text": "1 pt = {price}円",
    "contract.carry_over": "繰り越しあり",
    "contract.no_carry_over": "繰り越しなし",
    "contract.approval_required": "見積承認が必要",
    "contract.separator": "、",
    "estimate.none": "なし",
    "estimate.returned_comment": "【見積の差し戻し】{reason}",
    "estimate.mail_line": "・{name} × {quantity}: {points} pt",
    "estimate.mail_subtotal": "小計 {points} pt、{label}",
    "estimate.mail_surcharge": "割増",
    "estimate.mail_total": "合計 {points} pt",
    "statement.total": "合計",
    "statement.usage": "利用ポイント",
    "statement.amount": "請求額(円)",
    "statement.unit_price": "1 pt = {price}円",
    "statement.filename": "{company}_{month}_月次明細.csv",
    "request.nobody": "未定",
    "request.no_due_date": "指定なし",
    "request.no_participants": "なし",
    "request.name_separator": "、",
    "account.first_admin_name": "管理者",
    "agency.default_name": "制作会社",
    "mail.to_name": "{name} 様",
    "upload.unknown": "添付ファイルの情報が古くなっています。画面を開き直して、もう一度添付してください。",
}

# Request statuses (依頼の状態), as every page, list and mail shows them.
STATUS_LABELS: dict[str, str] = {
    "new": "新規",
    "in_progress": "対応中",
    "waiting": "確認待ち",
    "done": "完了",
    "on_hold": "保留",
    "withdrawn": "取り下げ",
}

# Contract kinds (契約の種類), ledger entry kinds (ポイント履歴) and estimate states (見積).
KIND_LABELS: dict[str, str] = {
    "prepaid_monthly": "前払い(月ごと)",
    "prepaid_term": "前払い(期間ごと)",
    "postpaid": "後払い",
    "unlimited": "無制限",
}
ENTRY_LABELS: dict[str, str] = {
    "grant": "付与",
    "topup": "チャージ",
    "charge": "消費",
    "adjustment": "調整",
    "expiry": "失効",
}
STATE_LABELS: dict[str, str] = {
    "pending": "承認待ち",
    "approved": "承認済み",
    "returned": "差し戻し",
}
# The columns of the 月次明細 CSV.
STATEMENT_CSV_HEADER: list[str] = ["日時", "種類", "依頼番号", "件名", "内容", "ポイント", "残りポイント"]

# How thread changes read (the field that changed).
CHANGE_LABELS: dict[str, str] = {
    "status": "状態",
    "assignee": "担当者",
    "due_date": "公開希望日",
    "participants": "依頼関係者",
    "estimate": "見積",
    "estimate_state": "見積の承認",
    "points": "ポイント",
    "reopen": "状態(再開)",
}

# What changed, as 更新あり names it in the lists (services.listings.CHANGE_KINDS).
CHANGE_KIND_LABELS: dict[str, str] = {
    "comment": "コメント",
    "estimate": "見積",
    "status": "状態",
}

# Account history, as shown to the agency on the account page.
ACCOUNT_EVENTS: dict[str, str] = {
    "created": "アカウント登録",
    "updated": "アカウント情報の変更",
    "deactivated": "無効化",
    "reactivated": "再有効化",
    "password_changed": "パスワード変更",
    "password_reset": "パスワード再設定(メール)",
    "guidance_resent": "ログインのご案内を再送(仮パスワード再発行)",
    "locked": "ログイン失敗によるロック",
    "unlocked": "ロック解除",
    "mail_resumed": "メール配信の再開",
    "user_id_taken": "使用中のユーザーIDを指定(登録できず)",
    "role_changed": "権限の変更",
}

# 権限, as the account pages show it (templates/accounts/_role.html says the same).
ROLE_LABELS: dict[str, str] = {
    "agency_admin": "管理者",
    "agency_staff": "担当者",
    "client_admin": "クライアント管理者",
    "client_member": "メンバー",
}

FIELD_LABELS: dict[str, str] = {
    "user_id": "ユーザーID",
    "name": "名前",
    "kana": "名前(カナ)",
    "phone": "電話番号",
    "email": "メールアドレス",
    "role": "権限",
}


def t(key: str, **params: object) -> str:
    """The message for ``key``, with ``params`` filled in. Unknown keys fail loudly in tests."""
    return JA[key].format(**params)

# How a notification's delivery reads for the agency (its status, and why one was not sent).
MAIL_STATUS_LABELS: dict[str, str] = {
    "pending": "送信待ち",
    "sending": "送信中",
    "sent": "送信済み",
    "failed": "送信失敗",
    "skipped": "送信せず",
}
MAIL_SKIP_LABELS: dict[str, str] = {
    "inactive": "アカウントが無効になっています",
    "opted_out": "依頼関係者のメールを受け取らない設定です",
    "bounce": "メールアドレスに届きません(バウンス)",
    "complaint": "受信者が迷惑メールとして報告しました",
}
MAIL_EVENT_LABELS: dict[str, str] = {
    "created": "新規依頼",
    "comment": "コメント",
    "status": "状態の変更",
    "assigned": "担当者の設定",
    "estimate": "見積",
    "estimate_answer": "見積への回答",
}
MAIL_RELATION_LABELS: dict[str, str] = {
    "staff": "担当者",
    "assignee": "担当者",
    "requester": "依頼者",
    "participant": "依頼関係者",
}


# --- web (issue 14, web half): the pages, the API and services/policy.py ------------------------
JA.update({
    "api.unauthenticated": "ログインしてください。",
    "api.forbidden": "この操作は許可されていません。",
    "api.not_found": "見つかりません。",
    "api.unknown_fields": "使えない項目です: {names}",
    "api.not_string_list": "{name} は文字列の配列にしてください。",
    "api.bad_type": "{name} の形式が正しくありません。",
    "account.heading_new": "アカウント登録",
    "account.heading_edit": "アカウント情報の変更",
    "account.heading_staff_new": "担当者アカウント登録",
    "policy.comment_withdrawn": "取り下げられた依頼にはコメントできません。",
    "policy.participants_closed": "完了または取り下げの依頼の依頼関係者は変更できません。",
    "policy.estimate_charged": "ポイントを消費済みの見積にはお返事できません。",
    "account.role_label": "権限",
    "account.role_changed": "権限を変更しました。ご本人にメールでお知らせしました。",
    "account.last_admin": "この会社で有効な管理者はこのアカウントだけのため、管理者から外したり無効にしたりできません。先に別のアカウントを管理者にしてください。",
    "account.last_admin_agency": "有効な管理者はこのアカウントだけのため、管理者から外したり無効にしたりできません。先に別の担当者を管理者にしてください。",
    "account.role_inactive": "無効のアカウントは管理者にできません。先に有効にしてください。",
})


# --- navigation (issue 17): the side's menus and the pages' titles in breadcrumb trails -----------
# (web/navigation.py). Each title is what the page's <h1> reads.
JA.update({
    "nav.menu": "メニュー",
    "nav.inbox": "受信箱",
    "nav.home": "管理画面",
    "nav.requests": "依頼一覧",
    "nav.clients": "クライアント管理",
    "nav.client_new": "新規クライアント登録",
    "nav.points": "ポイント",
    "nav.points_overview": "ポイント利用状況",
    "nav.points_balance": "残りポイント",
    "nav.points_menu": "ポイント表",
    "nav.statement": "月次明細",
    "nav.staff": "担当者",
    "nav.staff_list": "担当者アカウント",
    "nav.settings": "設定",
    "nav.settings_first": "はじめに制作会社の情報を設定してください",
    "nav.urgency": "特急料金・休業日",
    "nav.accounts": "アカウント管理",
    "nav.account_detail": "アカウント詳細",
    "nav.mail": "メール通知設定",
    "nav.password": "パスワード変更",
    "nav.login": "ログイン",
    "nav.reset": "パスワードの再設定",
    "nav.request_new": "新規依頼の登録",
    "nav.status_list": "{status}の依頼",
    "nav.search_results": "「{keyword}」の検索結果",
    "nav.comment": "コメント入力",
    "nav.back_to": "{page}に戻る",
})
