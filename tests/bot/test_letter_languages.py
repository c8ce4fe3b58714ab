"""Letters in Polish, Turkish and Arabic: the whole letter in the person's language,
Arabic right to left."""

import pytest

from tests.cli import EXAMPLES, voorzorg

ENV = {"VOORZORG_SECRET_KEY": "c" * 40, "TWILIO_FROM": "+3197010000000"}
COHORT = """reference,first_name,phone,municipality,report_date,prison,language
ZM-1,Ola,06 22334455,Venlo,2027-01-14,,pl
ZM-2,Emre,06 22334466,Venlo,2027-01-14,,tr
ZM-3,Karim,06 22334477,Venlo,2027-01-14,,ar
"""


@pytest.fixture
def letters(tmp_path) -> list[str]:
    db = tmp_path / "v.db"
    (tmp_path / "cohort.csv").write_text(COHORT)
    assert (
        voorzorg(db, "org", "load", str(EXAMPLES / "organisations.yaml"), env=ENV).returncode == 0
    )
    now = "2026-12-01T09:30:00+01:00"
    done = voorzorg(db, "import", str(tmp_path / "cohort.csv"), "--now", now, env=ENV)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "letters.html"
    args = ("letters", "--from", "2026-12-01", "--to", "2026-12-01", "-o", str(out))
    assert voorzorg(db, *args, env=ENV).returncode == 0
    return out.read_text().split('<article class="sheet letter"')[1:]


def test_each_letter_is_in_the_persons_language(letters):
    polish, turkish, arabic = letters
    assert 'lang="pl"' in polish and "Co zrobić z kodem:" in polish
    assert "Proszę wysłać swój kod" in polish and "What to do" not in polish
    assert 'lang="tr"' in turkish and "Kodla ne yapmalısınız:" in turkish
    assert 'lang="ar"' in arabic and 'dir="rtl"' in arabic and "ماذا تفعل بالرمز:" in arabic
