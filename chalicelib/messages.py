"""Every message the app shows a user, in one catalogue (Japanese first).

Keys are stable identifiers; an English catalogue can be added beside this one.
"""
from __future__ import annotations

JA: dict[str, str] = {
    "required": "入力してください。",
    "login.failed": "ユーザーIDまたはパスワードが正しくありません。",
    "login.temporary_hint": "仮パスワードは一度だけ、有効期限内に使えます。使えない場合は管理者に再発行を依頼してください。",
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
}


def t(key: str, **params: object) -> str:
    """The message for ``key``, with ``params`` filled in. Unknown keys fail loudly in tests."""
    return JA[key].format(**params)
