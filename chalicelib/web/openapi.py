"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Tests check every real response of the API against the schemas here, so the two cannot drift.
"""
from __future__ import annotations

_STATUS = {"type": "string", "enum": ["new", "in_progress", "waiting", "done", "on_hold", "withdrawn"]}
_NULLABLE_STRING = {"type": ["string", "null"]}
_ERROR = {"$ref": "#/components/schemas/Error"}
_SUBMISSION_ID = {"type": "string", "description": "送信ごとの一度きりのキー(26文字のID)。同じキーで送り直しても二重に登録されず、最初の結果が返ります"}
_UPLOAD_IDS = {"type": "array", "items": {"type": "string"}, "description": "POST /api/uploads の upload_id(アップロード済みのもの)"}


def _response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    names = {400: "入力の誤り", 401: "未ログイン", 403: "許可されていない", 404: "見つからない(他社のものを含む)",
             409: "ほかの人が先に変更した", 415: "Content-Type が application/json でない",
             503: "AWSが一時的に応答しない(何も保存されていない。同じ submission_id で送り直せる)"}
    return {str(code): _response(names[code], _ERROR) for code in codes}


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "Irai API",
        "version": "1",
        "description": "依頼(Irai)のJSON API。ログイン中のセッションCookieで認証し、状態を変える呼び出しは"
                       " X-CSRF-Token ヘッダーに GET /api/session の csrf_token を付けて送ります。",
    },
    "paths": {
        "/api/session": {"get": {
            "summary": "ログイン中のユーザーとCSRFトークン",
            "responses": {"200": _response("ok", {"$ref": "#/components/schemas/Session"}), **_errors(401, 403)},
        }},
        "/api/urgency": {"get": {
            "summary": "公開希望日までの営業日数と特急料金の倍率(新規依頼で今日登録した場合; クライアントのみ)",
            "parameters": [{"name": "due", "in": "query", "required": True,
                            "schema": {"type": "string", "description": "公開希望日 YYYY-MM-DD(今日以降)"}}],
            "responses": {"200": _response("ok", {"$ref": "#/components/schemas/Urgency"}), **_errors(400, 401, 403)},
        }},
        "/api/requests": {
            "get": {
                "summary": "依頼の一覧(クライアント: 自社の進行中、または status 指定; 制作会社: 受信箱)",
                "parameters": [
                    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                    for name in ("status", "company", "assignee", "q", "after")
                ],
                "responses": {"200": _response("ok", {"$ref": "#/components/schemas/RequestList"}),
                              **_errors(401, 403, 404)},
            },
            "post": {
                "summary": "新規依頼",
                "requestBody": _json_body({"$ref": "#/components/schemas/NewRequest"}),
                "responses": {"201": _response("created", {"type": "object", "required": ["request"],
                                                           "properties": {"request": {"$ref": "#/components/schemas/Request"}},
                                                           "additionalProperties": False}),
                              **_errors(400, 401, 403, 415, 503)},
            },
        },
        "/api/requests/{request_id}": {
            "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "summary": "依頼とやりとり(クライアントには社内メモを含めない)",
                "responses": {"200": _response("ok", {"$ref": "#/components/schemas/RequestWithThread"}),
                              **_errors(401, 403, 404)},
            },
            "patch": {
                "summary": "依頼の変更(状態・担当者・公開希望日・依頼関係者・社内メモ)",
                "requestBody": _json_body({"$ref": "#/components/schemas/RequestChanges"}),
                "responses": {"200": _response("ok", {"type": "object", "required": ["request"],
                                                      "properties": {"request": {"$ref": "#/components/schemas/Request"}},
                                                      "additionalProperties": False}),
                              **_errors(400, 401, 403, 404, 409, 415)},
            },
        },
        "/api/requests/{request_id}/comments": {
            "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {
                "summary": "コメント追加",
                "requestBody": _json_body({"type": "object", "required": ["body"], "additionalProperties": False,
                                           "properties": {"body": {"type": "string", "maxLength": 10000},
                                                          "upload_ids": _UPLOAD_IDS,
                                                          "submission_id": _SUBMISSION_ID}}),
                "responses": {"201": _response("created", {"$ref": "#/components/schemas/NewComment"}),
                              **_errors(400, 401, 403, 404, 409, 415, 503)},
            },
        },
        "/api/uploads": {"post": {
            "summary": "添付ファイルのアップロード枠(署名付きPOST)。ファイル本体はブラウザからS3へ直接送ります",
            "requestBody": _json_body({"$ref": "#/components/schemas/NewUpload"}),
            "responses": {"201": _response("created", {"$ref": "#/components/schemas/UploadSlot"}),
                          **_errors(400, 401, 403, 404, 415)},
        }},
    },
    "components": {"schemas": {
        "Error": {"type": "object", "required": ["message"], "additionalProperties": False, "properties": {
            "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        }},
        "Session": {"type": "object", "required": ["user", "csrf_token"], "additionalProperties": False, "properties": {
            "user": {"type": "object", "required": ["id", "name", "role", "company_id"], "additionalProperties": False,
                     "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                    "role": {"type": "string", "enum": ["agency_admin", "agency_staff", "client_admin",
                                                                       "client_member"]},
                                    "company_id": _NULLABLE_STRING}},
            "csrf_token": {"type": "string"},
        }},
        "Urgency": {"type": "object", "required": ["due", "lead_days", "multiplier", "label", "message"],
                    "additionalProperties": False, "properties": {
            "due": {"type": "string", "format": "date"},
            "lead_days": {"type": "integer", "minimum": 0, "description": "登録日の翌営業日から公開希望日までの営業日数"},
            "multiplier": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$", "description": "倍率(例: \"1.5\"、条件なしは \"1.0\")"},
            "label": {"type": "string", "description": "例: 特急(3営業日以内) ×2.0。当たる条件がなければ空文字"},
            "message": {"type": "string", "description": "画面に表示する文"},
        }},
        "Request": {"type": "object", "additionalProperties": False, "required": [
            "id", "number", "company_id", "company_name", "title", "body", "status", "status_label", "due_date",
            "requester_id", "requester_name", "participant_ids", "assignee_id", "assignee_name", "created_at",
            "last_activity_at", "awaiting_agency", "revision"], "properties": {
            "id": {"type": "string"}, "number": {"type": "integer", "minimum": 1},
            "company_id": {"type": "string"}, "company_name": {"type": "string"},
            "title": {"type": "string"}, "body": {"type": "string"}, "status": _STATUS,
            "status_label": {"type": "string"},
            "due_date": {"type": ["string", "null"], "format": "date"},
            "requester_id": {"type": "string"}, "requester_name": {"type": "string"},
            "participant_ids": {"type": "array", "items": {"type": "string"}},
            "assignee_id": {**_NULLABLE_STRING, "description": "担当者のユーザーID。クライアントには常に null(名前は assignee_name)"},
            "assignee_name": _NULLABLE_STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "last_activity_at": {"type": "string", "format": "date-time"},
            "awaiting_agency": {"type": "boolean"},
            "revision": {"type": "integer", "minimum": 0,
                         "description": "変更の確認に送り返す番号。クライアントには、クライアントに見える変更でだけ進む番号"},
            "changed": {"type": "boolean"},
        }},
        "Entry": {"type": "object", "additionalProperties": False, "required": [
            "id", "kind", "side", "author_id", "author_name", "at", "body", "field", "old", "new"], "properties": {
            "id": {"type": "string"}, "kind": {"type": "string", "enum": ["comment", "memo", "change"]},
            "side": {"type": "string", "enum": ["client", "agency"]},
            "author_id": {**_NULLABLE_STRING, "description": "書いた人のユーザーID。制作会社側の人はクライアントには null"},
            "author_name": {"type": "string"},
            "at": {"type": "string", "format": "date-time"}, "body": {"type": "string"},
            "field": _NULLABLE_STRING, "old": _NULLABLE_STRING, "new": _NULLABLE_STRING,
        }},
        "RequestList": {"type": "object", "required": ["requests", "next"], "additionalProperties": False, "properties": {
            "requests": {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
            "next": _NULLABLE_STRING,
        }},
        "RequestWithThread": {"type": "object", "required": ["request", "thread"], "additionalProperties": False,
                              "properties": {"request": {"$ref": "#/components/schemas/Request"},
                                             "thread": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}},
        "NewRequest": {"type": "object", "required": ["title", "body"], "additionalProperties": False, "properties": {
            "title": {"type": "string", "maxLength": 100}, "body": {"type": "string", "maxLength": 10000},
            "due_date": {"type": "string", "description": "YYYY-MM-DD, 今日以降(空文字は指定なし)"},
            "participant_ids": {"type": "array", "items": {"type": "string"}},
            "upload_ids": _UPLOAD_IDS, "submission_id": _SUBMISSION_ID,
        }},
        "RequestChanges": {"type": "object", "required": ["revision"], "additionalProperties": False, "properties": {
            "revision": {"type": "integer", "description": "読み込んだときの revision。違えば 409"},
            "status": _STATUS, "assignee_id": {"type": "string", "description": "空文字で未定"},
            "due_date": {"type": "string", "description": "YYYY-MM-DD、空文字で指定なし"},
            "participant_ids": {"type": "array", "items": {"type": "string"}},
            "memo": {"type": "string", "description": "社内メモ(制作会社のみ)"},
        }},
        "NewUpload": {"type": "object", "required": ["name", "size", "content_type"], "additionalProperties": False,
                      "properties": {
            "name": {"type": "string", "description": "元のファイル名"},
            "size": {"type": "integer", "description": "バイト数(上限を超えると 400)"},
            "content_type": {"type": "string"},
            "request_id": {"type": "string", "description": "コメントに添付するときの依頼。新規依頼では省略"},
            "kind": {"type": "string", "enum": ["file", "memo"], "description": "memo は画面メモ(PNG)"},
            "notes": {"type": "array", "items": {"type": "string"}, "description": "画面メモの番号つきメモ"},
            "annotations": {"type": "string", "description": "画面メモの描画(JSON文字列)"},
        }},
        "UploadSlot": {"type": "object", "required": ["upload_id", "url", "fields", "max_bytes"],
                       "additionalProperties": False, "properties": {
            "upload_id": {"type": "string"}, "url": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "max_bytes": {"type": "integer", "minimum": 1},
        }},
        "NewComment": {"type": "object", "required": ["entry", "html"], "additionalProperties": False, "properties": {
            "entry": {"$ref": "#/components/schemas/Entry"}, "html": {"type": "string"},
        }},
        # What a generic chat webhook is posted (services.chat.webhook_body); tests/integration/
        # test_chat.py checks real posts against it.
        "ChatWebhook": {"type": "object", "required": ["type", "id", "timestamp", "data"], "additionalProperties": False,
                        "properties": {
            "type": {"type": "string", "enum": ["request.created", "request.comment_client", "request.comment_agency",
                                                "request.status", "request.estimate", "request.completed",
                                                "mail.failed", "irai.test"],
                     "description": "出来事の種類。状態が「完了」になったときは request.completed"},
            "id": {"type": "string", "description": "webhook-id ヘッダーと同じ。再送でも変わらないので、受け取り側の重複排除に使えます"},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {"type": "object", "required": ["summary"], "properties": {
                "summary": {"type": "string", "description": "メールの冒頭と同じ、1文の説明"},
                "request": {"type": "object", "required": ["id", "number", "title", "company_id", "company_name",
                                                           "status", "url"], "additionalProperties": False,
                            "properties": {"id": {"type": "string"}, "number": {"type": "integer"},
                                           "title": {"type": "string"}, "company_id": {"type": "string"},
                                           "company_name": {"type": "string"}, "status": {"type": "string"},
                                           "url": {"type": "string", "format": "uri"}}},
                "event": {"type": "string", "description": "created, comment, status, estimate, estimate_answer"},
                "actor": {"type": "object", "properties": {"name": {"type": "string"},
                                                           "side": {"type": "string", "enum": ["agency", "client"]}}},
                "old_value": _NULLABLE_STRING, "new_value": _NULLABLE_STRING,
                "text": {"type": "string", "description": "コメントまたは依頼内容の抜粋(300文字まで)。社内メモは含みません"},
                "occurred_at": {"type": "string", "format": "date-time"},
                "recipient": {"type": "object", "properties": {"name": {"type": "string"}}},
                "error": _NULLABLE_STRING,
            }},
        }},
    }},
    # Outbound: what Irai posts to a generic chat webhook (チャット通知 → Webhook), signed as the
    # Standard Webhooks specification says: webhook-id, webhook-timestamp, webhook-signature.
    "webhooks": {"chatNotification": {"post": {
        "summary": "チャット通知(Webhook)",
        "description": "webhook-signature は v1,<base64(HMAC-SHA256(シークレットのwhsec_以降をbase64デコードした鍵, "
                       "webhook-id + '.' + webhook-timestamp + '.' + 本文))>。5分より古い webhook-timestamp は拒否してください。",
        "parameters": [{"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
                       for name in ("webhook-id", "webhook-timestamp", "webhook-signature")],
        "requestBody": _json_body({"$ref": "#/components/schemas/ChatWebhook"}),
        "responses": {"2XX": {"description": "受け取った(ほかの応答は再送されます。4xxは429を除き再送しません)"}},
    }}},
}
