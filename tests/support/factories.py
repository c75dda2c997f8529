"""Test data factories: real models, real table, known passwords."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from chalicelib.adapters import config
from chalicelib.models.users import AGENCY_ADMIN, User
from chalicelib.services import passwords

PASSWORD = "correct-horse-battery-staple"


def make_user(*, user_id: str | None = None, password: str = PASSWORD, role: str = AGENCY_ADMIN,
              must_change_password: bool = False, **overrides) -> User:
    now = datetime.now(timezone.utc)
    attributes = dict(
        name="テスト 太郎", kana="テスト タロウ", phone="03-1234-5678",
        email=f"{uuid.uuid4().hex[:8]}@example.com", role=role,
        password_hash=passwords.hash_password(password, config.bcrypt_rounds()),
        must_change_password=must_change_password,
        temp_password_expires_at=now + timedelta(days=7) if must_change_password else None,
        created_at=now,
    )
    attributes.update(overrides)
    user = User.new(user_id=user_id or f"user{uuid.uuid4().hex[:10]}", **attributes)
    user.create()
    return user
