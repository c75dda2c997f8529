"""Password rules and hashing: pure functions, no sockets."""
from __future__ import annotations

import pytest

from chalicelib.services import passwords


def errors(new, confirm=None, user_id="tanaka01", current=None):
    return passwords.validate_new_password(user_id=user_id, new=new,
                                           confirm=new if confirm is None else confirm, current=current)


def test_a_long_unusual_password_is_accepted():
    assert errors("ajisai-no-hana-2026") == {}


@pytest.mark.parametrize("candidate", ["short1!", "abcdefghijk"])
def test_fewer_than_12_characters_is_refused(candidate):
    assert "12文字以上" in errors(candidate)["new_password"]


def test_more_than_72_bytes_is_refused_even_when_few_characters():
    wide = "あ" * 25  # 25 characters, 75 bytes in UTF-8
    assert "長すぎます" in errors(wide)["new_password"]


def test_the_user_id_inside_the_password_is_refused_case_insensitively():
    assert "ユーザーID" in errors("xxTANAKA01xxyy")["new_password"]


@pytest.mark.parametrize("candidate", ["password1234", "Password1234!", "qwertyuiop12", "111111111111",
                                       "abababababab", "123456789012", "iloveyou2026!!"])
def test_common_passwords_and_their_padded_forms_are_refused(candidate):
    assert "推測されやすい" in errors(candidate)["new_password"]


def test_confirmation_must_match():
    assert "一致しません" in errors("ajisai-no-hana-2026", "ajisai-no-hana-2027")["new_password_confirm"]


def test_new_must_differ_from_current():
    assert "違うパスワード" in errors("ajisai-no-hana-2026", current="ajisai-no-hana-2026")["new_password"]


def test_empty_fields_are_required():
    result = errors("", "")
    assert result["new_password"] == result["new_password_confirm"] == "入力してください。"


def test_hash_round_trip_and_wrong_password():
    hashed = passwords.hash_password("ajisai-no-hana-2026", rounds=4)
    assert hashed.startswith("$2b$04$")
    assert passwords.verify_password("ajisai-no-hana-2026", hashed)
    assert not passwords.verify_password("ajisai-no-hana-2025", hashed)


def test_over_long_password_never_verifies_and_is_never_hashed():
    hashed = passwords.hash_password("x" * 72, rounds=4)
    assert not passwords.verify_password("x" * 73, hashed)
    with pytest.raises(ValueError):
        passwords.hash_password("x" * 73, rounds=4)


def test_temporary_passwords_are_random_and_unambiguous():
    generated = {passwords.generate_temporary_password() for _ in range(200)}
    assert len(generated) == 200
    for value in generated:
        assert len(value) == 14 and not set(value) & set("0O1lI")
