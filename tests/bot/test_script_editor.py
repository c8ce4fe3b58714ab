"""Administrators change what the bot says without touching files or restarting."""

import html
import re

import pytest

from conversations.script import load_default_scripts
from tests.cli import user
from tests.service import App
from tests.staff import Staff

NOW = "2026-12-01T10:00:00+01:00"


@pytest.fixture
def edited(tmp_path):
    setup = (user("admin@example.org", "admin"), user("a.jansen@example.org", "contact", "venlo"))
    service = App(tmp_path, twilio=None, telegram=None, setup=setup).start()
    yield service
    service.stop()


class Editor(Staff):
    def open(self):
        page = self.client.get("/admin/scripts/intake").text
        self.token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        self.revision = re.search(r'name="revision" value="([^"]+)"', page).group(1)
        self.source = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)[1])
        return page

    def post(self, action, source=None, **fields):
        data = {
            "csrf": self.token,
            "source": self.source if source is None else source,
            "revision": self.revision,
            **fields,
        }
        return self.client.post(f"/admin/scripts/intake/{action}", data=data)


def admin(service):
    editor = Editor(service)
    editor.login("admin@example.org")
    editor.open()
    return editor


def test_only_administrators_edit_scripts(edited):
    contact = Staff(edited)
    contact.login("a.jansen@example.org")
    assert contact.client.get("/admin/scripts").status_code == 403
    assert contact.client.get("/admin/scripts/intake").status_code == 403
    token = contact.csrf("/admin/cases/ZM-1")
    assert (
        contact.client.post("/admin/scripts/intake/publish", data={"csrf": token}).status_code
        == 403
    )


def test_checks_as_you_type(edited):
    editor = admin(edited)
    good = editor.post("check").json()
    assert good["errors"] == []
    assert any(m["where"] == "steps.welcome.nl" and m["segments"] == 1 for m in good["messages"])
    broken = editor.post("check", editor.source.replace("{{ first_name }}?", "{{ first_name }?", 1))
    assert broken.json()["errors"][0].startswith(
        "fout: steps.right_person.say.nl: klopt niet als sjabloon"  # Dutch, the default
    )
    assert editor.post("check", "steps: [").json()["errors"][0].startswith("draft: not valid YAML")


def test_two_admins_cannot_silently_overwrite_each_other(edited):
    first, second = admin(edited), admin(edited)
    assert (
        first.post("save", first.source.replace("Eerst een vraag.", "Een vraag.")).status_code
        == 303
    )
    clash = second.post("save", second.source.replace("Eerst een vraag.", "Nog een vraag."))
    assert clash.status_code == 409
    assert "Een vraag." in admin(edited).source and "Nog een vraag." not in admin(edited).source


def test_publishing_is_refused_while_the_draft_has_errors(edited):
    editor = admin(edited)
    editor.post("save", editor.source.replace("next: consent_partners", "next: nowhere"))
    editor.open()
    assert editor.post("publish").status_code == 400


def test_new_conversations_get_the_published_version_old_ones_keep_theirs(edited):
    started = edited.cli("chat", "ZM-1", "--now", NOW, stdin="").stdout
    assert "Eerst een vraag. Bent u Sam?" in started
    editor = admin(edited)
    changed = editor.source.replace("Dank u, {{ first_name }}.", "Top, {{ first_name }}!")
    changed = changed.replace("Thank you, {{ first_name }}.\n", "Great, {{ first_name }}!\n")
    editor.post("save", changed)
    editor.open()
    assert editor.post("publish").status_code == 303
    kept = edited.cli("chat", "ZM-1", "--now", NOW, stdin="ja\n").stdout
    assert "Dank u, Sam." in kept  # the conversation in progress keeps its version
    new = edited.cli("chat", "ZM-2", "--now", NOW, stdin="yes\n").stdout
    assert "Great, Alex!" in new  # a new conversation gets the published one
    shipped = load_default_scripts()["intake"].version
    assert edited.query("SELECT script_version FROM conversations ORDER BY case_id") == [
        (shipped,),
        (shipped + 1,),
    ]
    rollback = admin(edited)
    token = rollback.csrf("/admin/scripts")
    assert (
        rollback.client.post(
            "/admin/scripts/intake/rollback", data={"csrf": token, "version": str(shipped)}
        ).status_code
        == 303
    )
    assert edited.query("SELECT version, status FROM script_versions ORDER BY version") == [
        (shipped, "retired"),
        (shipped + 1, "retired"),
        (shipped + 2, "draft"),  # opened after publishing: a new draft
        (shipped + 3, "published"),  # the shipped version again
    ]


def test_preview_before_publishing(edited):
    editor = admin(edited)
    draft = editor.source.replace("Eerst een vraag. Bent u", "Even checken: bent u")
    first = editor.post("preview", draft, text="")
    assert "Even checken: bent u Sam?" in html.unescape(first.text)
    second = editor.post("preview", draft, text="ja", inputs="[]")
    assert "Dank u, Sam." in html.unescape(second.text)
    assert edited.query("SELECT count(*) FROM conversations") == [(0,)]  # nothing stored


def test_hostile_script_text_stays_text(edited):
    editor = admin(edited)
    bomb = "{% for a in range(200) %}{% for b in range(200) %}xx{% endfor %}{% endfor %}"
    hostile = editor.source.replace("Eerst een vraag.", f"<script>alert(1)</script>{bomb}")
    assert "lukt niet om te maken" in " ".join(editor.post("check", hostile).json()["errors"])
    editor.post("save", hostile)
    page = editor.client.get("/admin/scripts/intake").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
