import pytest

from storage.crypto import SealError, Vault

KEY = "k" * 40


def test_round_trip_and_fresh_nonces():
    vault = Vault(KEY)
    a, b = vault.seal("Sam", "cases.first_name"), vault.seal("Sam", "cases.first_name")
    assert a != b and b"Sam" not in a
    assert vault.open(a, "cases.first_name") == "Sam"


def test_a_value_cannot_be_moved_to_another_column():
    vault = Vault(KEY)
    with pytest.raises(SealError):
        vault.open(vault.seal("+31612345678", "cases.phone"), "answers.note")


def test_tampering_and_wrong_keys_are_detected():
    sealed = bytearray(Vault(KEY).seal("Sam", "x"))
    with pytest.raises(SealError):
        Vault("z" * 40).open(bytes(sealed), "x")
    sealed[-1] ^= 1
    with pytest.raises(SealError):
        Vault(KEY).open(bytes(sealed), "x")


def test_lookup_hashes_are_keyed_and_stable():
    assert Vault(KEY).lookup_hash("+31612345678") == Vault(KEY).lookup_hash("+31612345678")
    assert Vault(KEY).lookup_hash("+31612345678") != Vault("z" * 40).lookup_hash("+31612345678")


def test_short_keys_are_refused():
    with pytest.raises(ValueError, match="at least 32"):
        Vault("short")
