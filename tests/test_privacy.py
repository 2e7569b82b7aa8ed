"""A lost laptop or USB stick gives away nothing: the office store, the worker's store and the
shared folder hold no resident's name, phone or ID number in any byte without the PIN or key;
and the office can cut off a worker who left (disable) or a lost laptop (rekey)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from conftest import built_once
from gridtui.keys import parse as parse_key
from gridtui.sync import envelope
from gridtui import vault
from gridtui.cli import main
from gridtui.demo import demo_data_path
from gridtui.home import office_store, real_store
from gridtui.store import Store

OFFICE_PIN = "office-pin-8642"
WORKER_PIN = {"W01": "li-xiuying-1357", "W02": "wang-zhigang-9753"}


def cli(home, *args, pin=OFFICE_PIN, input=None):
    res = CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]], env={"GRIDTUI_PIN": pin},
                             input=input)
    return res


def ok(res):
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def worker(home, w, *args, input=None):
    return cli(home, *args, pin=WORKER_PIN[w], input=input)


def demo_site(root):
    """The demo roster at the office, W01 (G01) and W02 (G02) enrolled, set up and synced once."""
    office, shared = root / "office-pc", root / "usb"
    shared.mkdir(parents=True)
    ok(cli(office, "office", "init", "--roster", demo_data_path()))
    keys, homes = {}, {}
    for w, name, grid in (("W01", "李秀英", "G01"), ("W02", "王志刚", "G02")):
        keys[w] = parse_key(ok(cli(office, "office", "enroll", w, "--name", name, "--grid", grid)).output.strip().splitlines()[-1])
    ok(cli(office, "office", "publish", "--shared", shared))
    for w in keys:
        homes[w] = root / f"laptop-{w}"
        ok(worker(homes[w], w, "setup", "--shared", shared, "--worker", w, input=keys[w] + "\n"))
    return {"office": office, "shared": shared, "keys": keys, "homes": homes}


_site_template, site = built_once("site", demo_site)


def first_household(home, w):
    rows = json.loads(ok(worker(home, w, "households", "--format", "json")).output)
    return rows[0]["id"]


def visit(site, w, note):
    home = site["homes"][w]
    return ok(worker(home, w, "visit", "add", "--household", first_household(home, w), "--outcome", "met",
                     "--note", note, "--finding", "7:楼道堆放杂物"))


def personal_strings(roster: dict) -> list[str]:
    out = []
    for h in roster["households"]:
        out += [h[k] for k in ("head", "phone", "id_number") if h.get(k)]
    return out


def leaks(folders: list[Path], secrets: list[str]) -> list[tuple[str, str]]:
    """(file, secret) for every secret found in any file, as UTF-8, as JSON \\u escapes or as GBK.

    Secrets are names (CJK) and digit strings, so only the runs of CJK characters, of \\u escapes and
    of digits in a file can hold one: searching those runs keeps megabytes of ciphertext quick.
    """
    forms: dict[bytes, str] = {}
    for s in secrets:
        forms[s.encode("utf-8")] = s
        forms[json.dumps(s)[1:-1].encode("ascii")] = s
        gbk = s.encode("gbk", errors="ignore")
        if len(gbk) >= 6:  # a 4-byte pattern turns up by chance in megabytes of random ciphertext
            forms[gbk] = s
    runs = re.compile(rb"(?:[\xe4-\xe9][\x80-\xbf]{2})+|(?:\\u[0-9a-fA-F]{4})+|[0-9]{6,}[Xx]?|[\x81-\xfe][\x40-\xfe]{1}(?:[\x81-\xfe][\x40-\xfe])+")
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                text = b"\0".join(runs.findall(path.read_bytes()))
                found += [(str(path), s) for f, s in forms.items() if f in text]
    return found


def test_no_personal_data_in_any_byte_of_the_stores_or_the_shared_folder(site):
    roster = json.loads(demo_data_path().read_text(encoding="utf-8"))
    secrets = personal_strings(roster)
    assert len(secrets) > 1000  # names, phones and ID numbers of the 640 demo households
    a_phone = roster["households"][0]["phone"]

    visit(site, "W01", f"户主电话 {a_phone}")  # personal data in free text, too
    ok(worker(site["homes"]["W01"], "W01", "sync"))
    ok(cli(site["office"], "office", "merge", "--shared", site["shared"]))
    ok(cli(site["office"], "office", "publish", "--shared", site["shared"]))
    ok(worker(site["homes"]["W01"], "W01", "sync"))

    folders = [site["office"], site["shared"], *site["homes"].values()]
    assert leaks(folders, secrets) == []

    # The scan can fail: with the PIN the data is all there, and in clear it would be found.
    with Store.open(office_store(site["office"]), unlock=lambda f: vault.unlock(f, OFFICE_PIN)) as s:
        heads = {h["head"] for h in s.state.entities["household"].values()}
        assert len(s.state.entities["household"]) == 640
        notes = [v.get("note", "") for v in s.state.entities["visit"].values()]
    assert roster["households"][0]["head"] in heads and any(a_phone in n for n in notes)
    plain = site["office"].parent / "plain.json"
    plain.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    assert leaks([plain.parent], secrets[:3])


def test_the_worker_gets_names_and_phones_but_never_full_id_numbers(site):
    roster = json.loads(demo_data_path().read_text(encoding="utf-8"))
    full_ids = {h["id"]: h["id_number"] for h in roster["households"] if h.get("id_number")}
    with Store.open(real_store(site["homes"]["W01"]), unlock=lambda f: vault.unlock(f, WORKER_PIN["W01"])) as s:
        households = s.state.entities["household"]
        assert households
        for hid, h in households.items():
            assert h["head"] and h["phone"]  # needed at the door
            if hid in full_ids:
                assert h["id_number"] != full_ids[hid]
                assert h["id_number"][:3] == full_ids[hid][:3] and "*" in h["id_number"]
        worker_grid = {hid for hid in households}
    with Store.open(office_store(site["office"]), unlock=lambda f: vault.unlock(f, OFFICE_PIN)) as s:
        assert all(s.state.entities["household"][hid]["id_number"] == full_ids[hid]
                   for hid in worker_grid if hid in full_ids)


def test_the_sync_key_is_inside_the_encrypted_store_not_in_the_config(site):
    home = site["homes"]["W01"]
    config = (home / "config.json").read_text(encoding="utf-8")
    assert site["keys"]["W01"] not in config
    assert all(site["keys"]["W01"].encode() not in p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_a_wrong_pin_is_one_sentence_and_nothing_opens(site):
    res = cli(site["homes"]["W01"], "households", pin="not-my-pin-000")
    assert res.exit_code == 2
    assert res.output.startswith("错误：PIN 不正确") and len(res.output.strip().splitlines()) == 1
    assert "Traceback" not in res.output


def test_the_office_needs_its_pin_for_every_command(site):
    for args in (("office", "findings"), ("office", "report"), ("office", "merge", "--shared", site["shared"]),
                 ("office", "publish", "--shared", site["shared"]), ("office", "export", "--to", site["office"] / "x")):
        res = cli(site["office"], *args, pin=WORKER_PIN["W01"])
        assert res.exit_code == 2 and "PIN 不正确" in res.output, args
    assert not (site["office"] / "x").exists()


def test_a_pin_file_unlocks_scheduled_office_jobs(site, tmp_path):
    pin_file = tmp_path / "office.pin"
    pin_file.write_text(OFFICE_PIN + "\n", encoding="utf-8")
    pin_file.chmod(0o600)  # a PIN file others can read is refused
    res = CliRunner().invoke(main, ["--home", str(site["office"]), "--pin-file", str(pin_file), "office", "merge",
                                    "--shared", str(site["shared"])], env={"GRIDTUI_PIN": None})
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["--home", str(site["office"]), "office", "findings"],
                             env={"GRIDTUI_PIN": None, "GRIDTUI_PIN_FILE": str(tmp_path / "missing.pin")})
    assert res.exit_code == 2 and res.output.startswith("错误：无法读取 PIN 文件")


def test_without_a_terminal_or_pin_file_the_office_says_how_to_give_one(site):
    res = CliRunner().invoke(main, ["--home", str(site["office"]), "office", "findings"], env={"GRIDTUI_PIN": None},
                             input="")
    assert res.exit_code == 2 and "--pin-file" in res.output and "Traceback" not in res.output


def test_training_mode_needs_no_pin(tmp_path):
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "--demo", "households"], env={"GRIDTUI_PIN": None},
                             input="")
    assert res.exit_code == 0, res.output
    assert "PIN" not in res.output


def test_a_disabled_worker_is_refused_and_issued_nothing_more(site):
    shared, office = site["shared"], site["office"]
    assert (shared / "to-worker" / "W02.json").exists()
    res = ok(cli(office, "office", "disable", "W02", "--shared", shared))
    assert "W02" in res.output and _holds_no_residents(shared / "to-worker" / "W02.json", site["keys"]["W02"])

    visit(site, "W02", "停用后的走访")
    res = worker(site["homes"]["W02"], "W02", "sync")
    # the laptop is told, in one sentence and with an exit code that says something is wrong
    assert res.exit_code == 2 and "已停用网格员 W02" in res.output and len(res.output.strip().splitlines()) == 1
    visit(site, "W01", "正常走访")
    ok(worker(site["homes"]["W01"], "W01", "sync"))

    res = cli(office, "office", "merge", "--shared", shared)
    assert res.exit_code == 1
    assert "W02/" in res.output and "停用" in res.output
    assert "采用文件 1 个" in res.output  # W01's file is still taken

    published = ok(cli(office, "office", "publish", "--shared", shared)).output
    assert "W01" in published and "W02" not in published
    assert _holds_no_residents(shared / "to-worker" / "W02.json", site["keys"]["W02"])


def _holds_no_residents(path, key) -> bool:
    """The file a disabled worker is left: a notice, with no event in it."""
    whole, problem = envelope.unseal(envelope.parse(path.read_bytes()).obj, key)
    return problem is None and whole["events"] == [] and whole["status"] == "disabled"


def test_rekey_cuts_off_the_lost_laptop_and_the_worker_rejoins_with_the_new_key(site, tmp_path):
    shared, office = site["shared"], site["office"]
    lost = site["homes"]["W01"]
    res = ok(cli(office, "office", "rekey", "W01"))
    new_key = parse_key(res.output.strip().splitlines()[-1])
    assert new_key != site["keys"]["W01"] and len(new_key) >= 24

    # Whoever has the lost laptop can still write with the old key, but the office refuses it…
    visit(site, "W01", "丢失电脑上的走访")
    ok(worker(lost, "W01", "sync"))
    res = cli(office, "office", "merge", "--shared", shared)
    assert res.exit_code == 1 and "用已作废的旧密钥加密" in res.output  # the office sees why
    # …and what the office publishes next cannot be opened with the old key; the laptop is told so.
    ok(cli(office, "office", "publish", "--shared", shared))
    res = worker(lost, "W01", "sync")
    assert res.exit_code == 2 and "换发了新密钥" in res.output and len(res.output.strip().splitlines()) == 1

    # The worker's new laptop joins with the new key; the old key cannot set one up.
    new_home = tmp_path / "new-laptop"
    res = worker(new_home, "W01", "setup", "--shared", shared, "--worker", "W01", input=site["keys"]["W01"] + "\n")
    assert res.exit_code == 2
    ok(worker(new_home, "W01", "setup", "--shared", shared, "--worker", "W01", input=new_key + "\n"))
    visit(site | {"homes": {"W01": new_home}}, "W01", "新电脑上的走访")
    ok(worker(new_home, "W01", "sync"))
    res = cli(office, "office", "merge", "--shared", shared)
    assert "新记录 2 条" in res.output  # the new laptop's visit and finding; the lost one still refused
    with Store.open(office_store(office), unlock=lambda f: vault.unlock(f, OFFICE_PIN)) as s:
        notes = {v.get("note") for v in s.state.entities["visit"].values()}
    assert "新电脑上的走访" in notes and "丢失电脑上的走访" not in notes


def test_rekey_of_an_unknown_worker_is_one_sentence(site):
    res = cli(site["office"], "office", "rekey", "W99")
    assert res.exit_code == 2 and "W99" in res.output and len(res.output.strip().splitlines()) == 1



def test_an_office_store_from_before_encryption_is_encrypted_at_the_first_office_command(tmp_path):
    from gridtui.roster import roster_events

    roster = json.loads(demo_data_path().read_text(encoding="utf-8"))
    office = tmp_path / "office-pc"
    Store.create(office_store(office), {"office": True}, roster_events(roster)).close()  # as an older gridtui left it
    assert leaks([office], personal_strings(roster)[:30])

    res = CliRunner().invoke(main, ["--home", str(office), "office", "findings", "--format", "json"],
                             env={"GRIDTUI_PIN": None}, input=f"{OFFICE_PIN}\n{OFFICE_PIN}\n")
    assert res.exit_code == 0, res.output
    assert "尚未加密" in res.output and res.output.count("PIN") >= 2  # said why, asked once (twice typed)
    assert leaks([office], personal_strings(roster)) == []
    # The office keeps the full record, ID numbers included.
    with Store.open(office_store(office), unlock=lambda f: vault.unlock(f, OFFICE_PIN)) as s:
        h = s.state.entities["household"][roster["households"][0]["id"]]
        assert h["id_number"] == roster["households"][0]["id_number"]
