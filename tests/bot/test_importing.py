"""Bad files get one clear line per problem; good rows come out normalised."""

import datetime as dt
import os

import pytest

from bot.outreach.importing import FileError, parse_cases, parse_organisations

SERVED = {"venlo": "venlo", "roermond": "zvh", "sittard-geleen": "zvh"}
TODAY = dt.date(2026, 12, 1)
HEADER = "reference,first_name,phone,municipality,report_date,prison,language\n"


def parse(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return parse_cases(data, SERVED, ("nl", "en"), TODAY)


def test_good_rows_are_normalised():
    parsed = parse(
        HEADER + "ZM-1,Sam,06 12345678,VENLO,2027-01-14,PI Roermond,EN\n"
        "ZM-2,Alex,,Sittard-Geleen ,2027-01-21,,\n"
    )
    assert parsed.errors == []
    (_, (sam, org)), (_, (alex, _)) = parsed.items
    assert (sam.phone, sam.language, org) == ("+31612345678", "en", "venlo")
    assert (alex.phone, alex.language, alex.prison) == (None, "nl", None)


def test_a_byte_order_mark_and_crlf_are_fine():
    assert (
        parse(
            b"\xef\xbb\xbf"
            + HEADER.replace("\n", "\r\n").encode()
            + b"ZM-1,Sam,,Venlo,2027-01-14,,\r\n"
        ).errors
        == []
    )


def test_every_bad_row_is_reported_with_its_line():
    parsed = parse(
        HEADER
        + "ZM-1,Sam,0612,Venlo,2027-01-14,,\n"
        + "ZM-2,Alex,,Atlantis,2027-01-14,,\n"
        + "ZM-3,Robin,,Venlo,2026-11-30,,\n"
        + "ZM-4,Kim,,Venlo,14-01-2027,,\n"
        + "ZM-1,Sam,,Venlo,2027-01-14,,\n"
        + "ZM-6,,,Venlo,2027-01-14,,\n"
        + "ZM-7,Jo,,Venlo,2027-01-14,,klingon\n"
        + "ZM-8,Jo,,Venlo\n"
        + "ZM-9,Jo,,Venlo,2027-01-14,,\n"
    )
    assert parsed.errors == [
        "line 2: phone '0612' is not a valid phone number",
        "line 3: municipality 'Atlantis' is not served by any organisation "
        "(load it with `voorzorg org load` first)",
        "line 4: report_date 2026-11-30 is in the past",
        "line 5: report_date '14-01-2027' is not a date like 2027-01-14",
        "line 6: reference ZM-1 also on line 2",
        "line 7: first_name is empty",
        "line 8: language 'klingon' is not offered; choose one of nl, en",
        "line 9: 4 fields, the header has 7",
    ]
    assert [line for line, _ in parsed.items] == [10]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the CSV file is empty"),
        (b"   \n\n", "the CSV file is empty"),
        (HEADER.encode(), "the CSV file has a header but no rows"),
        (
            b"ref,name\nZM-1,Sam\n",
            "wrong header: missing column(s): reference, first_name, "
            "municipality, report_date; unknown column(s): 'ref', 'name'",
        ),
        (
            (HEADER + "ZM-1,Ren\xe9,,Venlo,2027-01-14,,\n").encode("latin-1"),
            "the CSV file is not UTF-8: invalid byte 0xe9 on line 2",
        ),
        (b"\x00\x01garbage", "the CSV file is not text (it contains NUL bytes): expected UTF-8"),
    ],
)
def test_bad_files(data, message):
    with pytest.raises(FileError) as caught:
        parse(data)
    assert str(caught.value).startswith(message)


def test_ten_megabytes_of_garbage_gives_one_line():
    with pytest.raises(FileError) as caught:
        parse(os.urandom(10 * 1024 * 1024))
    assert "\n" not in str(caught.value)


def test_ten_megabytes_of_text_garbage_gives_one_line():
    with pytest.raises(FileError, match=r"^the CSV file has no readable header row") as caught:
        parse(("lorem ipsum " * 900_000).encode())
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400


ORGS = """
organisations:
  - id: venlo
    name: Gemeente Venlo
    kind: municipality
    municipalities: [Venlo]
    contacts:
      - {name: A. Jansen, email: A.Jansen@Example.org, phone: "06 12345678"}
    slots:
      - {weekday: dinsdag, from: "10:00", to: "12:00", minutes: 30, mode: phone}
"""


def test_organisations_parse():
    parsed = parse_organisations(ORGS.encode(), {})
    assert parsed.errors == []
    org = parsed.items[0][1]
    assert org.contacts[0].email == "a.jansen@example.org"
    assert org.contacts[0].phone == "+31612345678"
    assert org.slots[0].weekday == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("weekday: dinsdag", "weekday: someday"),
            "slot weekday 'someday' is not a day of the week",
        ),
        (('to: "12:00"', 'to: "09:00"'), "slot times must be HH:MM with from before to"),
        (("mode: phone", "mode: pigeon"), "slot mode must be one of phone, video, visit"),
        (("kind: municipality", "kind: club"), "kind must be one of municipality, safety_house"),
        (("email: A.Jansen@Example.org", "email: nobody"), "contact e-mail 'nobody' is not"),
    ],
)
def test_bad_organisations(change, message):
    parsed = parse_organisations(ORGS.replace(*change).encode(), {})
    assert len(parsed.errors) == 1 and message in parsed.errors[0]


def test_a_municipality_served_twice_names_both():
    parsed = parse_organisations(ORGS.encode(), {"venlo": "zvh-nml"})
    assert parsed.errors == [
        "organisations[1] (venlo): municipality 'Venlo' is already served by zvh-nml"
    ]


@pytest.mark.parametrize("text", ["organisations: [", "just text", "organisations: 3"])
def test_not_an_organisations_file(text):
    with pytest.raises(FileError):
        parse_organisations(text.encode(), {})


@pytest.mark.parametrize(
    ("timeline", "message"),
    [
        ("{reminder_dayz: [2]}", "timeline.reminder_dayz is unknown"),
        ("{reminder_days: 2}", "timeline.reminder_days must be a list of working days"),
        ("{retention_days: -1}", "timeline.retention_days must be days after the report date"),
    ],
)
def test_bad_timelines(timeline, message):
    parsed = parse_organisations((ORGS + f"    timeline: {timeline}\n").encode(), {})
    assert len(parsed.errors) == 1 and message in parsed.errors[0]


def test_per_organisation_wording():
    parsed = parse_organisations(
        (ORGS + "    sender_name: Gemeente Venlo\n    address: Stadskantoor, Venlo\n").encode(), {}
    )
    org = parsed.items[0][1]
    assert (org.sender_name, org.address) == ("Gemeente Venlo", "Stadskantoor, Venlo")
    too_long = parse_organisations((ORGS + f"    sender_name: {'x' * 41}\n").encode(), {})
    assert "sender_name must be text of at most 40 characters" in too_long.errors[0]
