"""Sync files and the office merge, on real folders: worker laptops and an office, each in its own
home, a shared folder between them, driven through the CLI and ``merge_folder``.

Every bad kind of file must be skipped with its own reason while the good files beside it are taken
and nothing the office already held is lost.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import errno
import hashlib
import hmac
import json
import os
import pathlib
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from conftest import built_once, small_roster, unlock
from gridtui import crypto, keys, vault
from gridtui import storage as storage_mod
from gridtui.cli import main
from gridtui.events import make_event
from gridtui.home import office_store, real_store
from gridtui.office import commands as office_commands
from gridtui.office.commands import merge_folder
from gridtui.office.ledger import Ledger
from gridtui.store import Store
from gridtui.sync import envelope
from gridtui.sync import folder as shared_folder
from gridtui.sync import worker as sync_worker

CONFLICT_SUFFIX = ".sync-conflict-20261125-101010-ABCDEFG.json"
CREATED = "2026-11-25T10:00:00+08:00"
HEADER = ("format", "worker", "device", "created")


def cli(home, *args, input=None):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]], input=input)


def ok(res):
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def one_line_error(res, code=2) -> str:
    """A usage/setup error: the given exit code and one plain sentence, never a traceback."""
    assert res.exit_code == code, (res.output, res.exception)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith("错误：") and "Traceback" not in res.output
    return lines[0]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sign_v1(obj: dict, key: str) -> str:
    body = {k: v for k, v in obj.items() if k != "hmac"}
    return hmac.new(key.encode("utf-8"), envelope.canonical(body), hashlib.sha256).hexdigest()


def seal_v1(worker: str, device: str, created: str, events: list[dict], key: str, **extra) -> bytes:
    """A file of the first format (events in clear, HMAC-signed), as gridtui wrote before encryption."""
    obj = {"format": envelope.FORMAT_V1, "worker": worker, "device": device, "created": created, "events": events,
           **extra}
    obj["hmac"] = sign_v1(obj, key)
    return _dump(obj)


def visit_event(dev, by, household, ms, c=0, note="上门走访", **kw):
    data = {"household": household, "mode": "door", "outcome": "met", "note": note,
            "at": "2026-11-25T10:00:00+08:00", "worker": by}
    return make_event([ms, c], dev, by, "visit", f"V{dev}-{ms:x}{c:x}", "create", data, **kw)


class Site:
    """An office home initialised from small_roster(), W01 (G01) and W02 (G02) enrolled through the
    CLI, published, and each worker set up in a home of their own."""

    def __init__(self, root: Path, roster_data: dict | None = None) -> None:
        self.root = root
        self.office = root / "office-home"
        self.shared = root / "shared"
        self.shared.mkdir(parents=True)
        roster = root / "roster.json"
        roster.write_text(json.dumps(roster_data or small_roster(), ensure_ascii=False), encoding="utf-8")
        ok(cli(self.office, "office", "init", "--roster", roster))
        self.keys: dict[str, str] = {}
        self._signing: dict[str, tuple[bytes, bytes]] = {}
        self._office_key: tuple[bytes, bytes] | None = None
        for w, name, grid in (("W01", "李秀英", "G01"), ("W02", "王建国", "G02")):
            res = ok(cli(self.office, "office", "enroll", w, "--name", name, "--grid", grid))
            self.keys[w] = keys.parse(res.stdout.strip().splitlines()[-1])  # as printed: grouped
        ok(cli(self.office, "office", "publish", "--shared", self.shared))
        self.homes: dict[str, Path] = {}
        self.devices: dict[str, str] = {}
        for w in self.keys:
            home = root / f"home-{w}"
            ok(cli(home, "setup", "--shared", self.shared, "--worker", w, input=self.keys[w] + "\n"))
            self.homes[w] = home
            with Store.open(real_store(home), load=False, unlock=unlock) as s:
                self.devices[w] = s.device

    # --- the worker side --------------------------------------------------------------------------

    def record(self, w: str, household: str, findings=(), note: str = "") -> list[str]:
        """Record one visit in the worker's real store; returns the ids of the new events."""
        with Store.open(real_store(self.homes[w]), unlock=unlock) as s:
            before = {e["id"] for e in s.iter_events()}
            s.record_visit({"household": household, "outcome": "met", "note": note, "findings": list(findings)})
            return [e["id"] for e in s.iter_events() if e["id"] not in before]

    def finding_of(self, w: str, household: str) -> str:
        with Store.open(real_store(self.homes[w]), unlock=unlock) as s:
            return next(f for f, rec in s.state.entities["finding"].items()
                        if rec["household"] == household and rec["_by"] == w)

    def my_events(self, w: str) -> dict[str, dict]:
        with Store.open(real_store(self.homes[w]), unlock=unlock) as s:
            return {e["id"]: e for e in s.events() if e["dev"] == s.device}

    def unsynced(self, w: str) -> int:
        with Store.open(real_store(self.homes[w]), unlock=unlock) as s:
            return s.unsynced_count()

    def sync(self, w: str):
        return ok(cli(self.homes[w], "sync"))

    def rel(self, w: str) -> str:
        return f"{w}/{self.devices[w]}.json"

    def path(self, rel: str) -> Path:
        return self.shared / "to-office" / rel

    # --- the office side ----------------------------------------------------------------------------

    def merge(self, **kw):
        return merge_folder(self.office, self.shared, unlock=unlock, **kw)

    def merge_cli(self):
        return cli(self.office, "office", "merge", "--shared", self.shared)

    def publish(self):
        return ok(cli(self.office, "office", "publish", "--shared", self.shared))

    def office_events(self) -> dict[str, dict]:
        with Store.open(office_store(self.office), unlock=unlock) as s:
            return {e["id"]: e for e in s.events()}

    @contextlib.contextmanager
    def ledger(self):
        """The office's ledger, read through its (encrypted) store."""
        with Store.open(office_store(self.office), unlock=unlock, load=False) as s, Ledger.open(s) as led:
            yield led

    def seal(self, worker: str, device: str, events: list[dict], key: str | None = None, **extra) -> bytes:
        """A file as gridtui writes it: from a worker's device a gridtui-sync/3 file, sealed to the
        office's public key and signed with that device's own key (one per device id, kept here);
        from the office (device "office") a /3 file to the worker."""
        key = self.keys.get(worker, "k") if key is None else key
        if device == "office":
            return envelope.seal_to_worker(worker, CREATED, events, key, **extra)
        return envelope.seal_to_office(worker, device, CREATED, events, key, self.office_key(), *self.signing(device))

    def signing(self, device: str) -> tuple[bytes, bytes]:
        """A device's signing key pair: a set-up laptop's own (from its store), else one made up here."""
        if device not in self._signing:
            laptop = next((w for w, d in self.devices.items() if d == device), None)
            if laptop is not None:
                with Store.open(real_store(self.homes[laptop]), unlock=unlock, load=False) as s:
                    if s.meta.get("sign_private"):
                        self._signing[device] = (base64.b64decode(s.meta["sign_private"]),
                                                 base64.b64decode(s.meta["sign_public"]))
            self._signing.setdefault(device, crypto.new_signing_key())
        return self._signing[device]

    def seal_v2(self, worker: str, device: str, events: list[dict], key: str | None = None, **extra) -> bytes:
        """A gridtui-sync/2 file, as a laptop not yet updated writes it (the worker's key alone)."""
        return envelope.seal(worker, device, CREATED, events, self.keys.get(worker, "k") if key is None else key,
                             **extra)

    def office_key(self) -> bytes:
        return self.office_box()[1]

    def office_box(self) -> tuple[bytes, bytes]:
        """The office's X25519 key pair (private, public)."""
        if self._office_key is None:
            with Store.open(office_store(self.office), unlock=unlock, load=False, readonly=True) as s:
                self._office_key = (base64.b64decode(s.meta["box_private"]), base64.b64decode(s.meta["box_public"]))
        return self._office_key

    def seal_v1(self, worker: str, device: str, events: list[dict], key: str | None = None, **extra) -> bytes:
        """A gridtui-sync/1 file (events in clear, HMAC), as gridtui wrote before encryption."""
        return seal_v1(worker, device, CREATED, events, self.keys.get(worker, "k") if key is None else key, **extra)

    def open_file(self, rel: str, worker: str | None = None) -> dict:
        """The whole content (header, events, ack) of a file in to-office/, opened with the worker's key."""
        obj = envelope.parse(self.path(rel).read_bytes()).obj
        whole, problem = envelope.unseal(obj, self.keys[worker or obj["worker"]], office_private=self.office_box()[0])
        assert problem is None, problem
        return whole

    def put(self, rel: str, data: bytes) -> Path:
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p


_site_template, site = built_once("site", Site)


@pytest.fixture
def two_rounds(site):
    """Round 1 merged already; round 2 synced but not merged. Returns (office events after round 1,
    ids of the round-2 events per worker)."""
    site.record("W01", "H01", [{"role": "safety", "category": "gas", "asked": "燃气管老化"}], note="第一次")
    site.record("W02", "H03", [{"role": "service", "category": "repair", "asked": "门锁坏了"}], note="第一次")
    site.sync("W01")
    site.sync("W02")
    first = site.merge()
    assert first.skipped == [] and first.new_events > 0
    before = site.office_events()
    new = {"W01": set(site.record("W01", "H02", note="第二次")), "W02": set(site.record("W02", "H03", note="第二次"))}
    site.sync("W01")
    site.sync("W02")
    return before, new


# --- one bad file among good ones ------------------------------------------------------------------


def _craft(site, worker, device, events, **kw):
    return site.seal(worker, device, events, **kw)


def _genuine(site, worker="W01") -> dict:
    """The worker's own /2 file as `gridtui sync` wrote it: header, nonce, sealed."""
    return json.loads(site.path(site.rel(worker)).read_bytes())


def _dump(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _flip_b64_char(text: str, at: int) -> str:
    c = text[at]
    return text[:at] + ("A" if c != "A" else "B") + text[at + 1:]


def bad_not_json(site, mp):
    return dict(name="W01/garbage.json", data=b"\x00\x01\x02 PK this is a zip, not JSON", reason="sync.not_json",
                zh="不是有效的同步文件（不是 JSON）")


def bad_truncated(site, mp):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    full = _craft(site, "W01", "cafe0001", [e])
    cut = full.index(b'"sealed":"') + len(b'"sealed":"') + 40  # stops inside the sealed payload
    return dict(name="W01/cafe0001.json", data=full[:cut], reason="sync.truncated",
                zh="文件不完整（可能还在复制中），下次合并时重试", refused={e["id"]}, retry=True)


def bad_format(site, mp):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    obj = json.loads(_craft(site, "W01", "cafe0001", [e]))
    obj["format"] = "gridtui-sync/4"
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_format",
                zh="未知的文件格式版本“gridtui-sync/4”", refused={e["id"]})


def bad_envelope(site, mp):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    obj = json.loads(_craft(site, "W01", "cafe0001", [e]))
    del obj["nonce"]
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_envelope",
                zh="文件缺少或写错了字段 nonce", refused={e["id"]})


def bad_envelope_v1(site, mp):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    obj = json.loads(site.seal_v1("W01", "cafe0001", [e]))
    obj["events"] = {"0": e}
    obj["hmac"] = sign_v1(obj, site.keys["W01"])
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.old_format",
                zh="旧版 gridtui 写的未加密文件", refused={e["id"]})


def bad_wrong_key(site, mp):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [e], key="stolen-guess"),
                reason="sync.bad_signature", zh="无法用该网格员的密钥打开", refused={e["id"]})


def bad_wrong_key_v1(site, mp):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    return dict(name="W01/cafe0001.json", data=site.seal_v1("W01", "cafe0001", [e], key="stolen-guess"),
                reason="sync.old_format", zh="请更新该电脑上的 gridtui", refused={e["id"]})


def bad_tampered(site, mp):
    # W01's genuine file, with one base64 character of the sealed payload changed.
    obj = _genuine(site)
    obj["sealed"] = _flip_b64_char(obj["sealed"], len(obj["sealed"]) // 2)
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="文件被改动过")


def bad_ciphertext_byte(site, mp):
    # W01's genuine file, with one byte of the ciphertext flipped (and the base64 valid again).
    obj = _genuine(site)
    sealed = bytearray(base64.b64decode(obj["sealed"]))
    sealed[len(sealed) // 3] ^= 0x01
    obj["sealed"] = base64.b64encode(bytes(sealed)).decode("ascii")
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="文件被改动过")


def bad_tag_byte(site, mp):
    # The last byte is the end of GCM's authentication tag.
    obj = _genuine(site)
    sealed = bytearray(base64.b64decode(obj["sealed"]))
    sealed[-1] ^= 0x80
    obj["sealed"] = base64.b64encode(bytes(sealed)).decode("ascii")
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="文件被改动过")


def bad_nonce(site, mp):
    obj = _genuine(site)
    nonce = bytearray(base64.b64decode(obj["nonce"]))
    nonce[0] ^= 0x01
    obj["nonce"] = base64.b64encode(bytes(nonce)).decode("ascii")
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="文件被改动过")


def bad_header_device(site, mp):
    # The header is associated data: claiming another device breaks the seal.
    obj = _genuine(site)
    obj["device"] = "cafe0001"
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="文件被改动过")


def bad_header_created(site, mp):
    obj = _genuine(site)
    obj["created"] = "2026-11-26T10:00:00+08:00"
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="文件被改动过")


def bad_not_base64(site, mp):
    obj = _genuine(site)
    obj["sealed"] = obj["sealed"][:10] + "!" + obj["sealed"][11:]
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.bad_signature", zh="无法用该网格员的密钥打开")


def bad_sealed_for_other(site, mp):
    # W02's genuine file, its header renamed to W01, dropped into W01's folder: W01's key cannot open it.
    obj = _genuine(site, "W02")
    obj["worker"] = "W01"
    return dict(name=f"W01/{site.devices['W02']}.json", data=_dump(obj), reason="sync.bad_signature",
                zh="不是为他加密的")


def bad_payload(site, mp):
    # Properly sealed to the office and W01's key, and signed, but what is inside is not sync data.
    data = envelope.seal_payload_to_office("W01", "cafe0001", CREATED, b'{"visits":[]}', site.keys["W01"],
                                           site.office_key(), *site.signing("cafe0001"))
    return dict(name="W01/cafe0001.json", data=data, reason="sync.bad_payload", zh="解密后的内容不是同步数据")


def bad_tampered_v1(site, mp):
    # W01's events in the old clear format, correctly signed, with one note changed after signing.
    mine = list(site.my_events("W01").values())
    obj = json.loads(site.seal_v1("W01", site.devices["W01"], mine))
    target = next(e for e in obj["events"] if e["kind"] == "visit" and e["data"]["note"] == "第二次")
    target["data"]["note"] = "改过的"
    return dict(name="W01/cafe0001.json", data=_dump(obj), reason="sync.old_format", zh="不予采用")


def bad_unknown_worker(site, mp):
    e = visit_event("cafe0009", "W09", "H01", now_ms())
    return dict(name="W09/cafe0009.json", data=_craft(site, "W09", "cafe0009", [e], key="whatever"),
                reason="sync.unknown_worker", zh="网格员 W09 未登记", refused={e["id"]})


def bad_disabled_worker(site, mp):
    assert office_commands.disable(site.office, "W02", unlock=unlock) is False  # no shared folder given
    return dict(name=site.rel("W02"), reason="sync.disabled_worker", zh="网格员 W02 已停用", excluded="W02")


def bad_too_large(site, mp):
    limit = max(site.path(site.rel(w)).stat().st_size for w in ("W01", "W02")) + 2000
    mp.setattr(envelope, "MAX_FILE_BYTES", limit)
    e = visit_event("cafe0001", "W01", "H02", now_ms(), note="很长的备注" * (limit // 5))
    data = _craft(site, "W01", "cafe0001", [e])
    assert len(data) > limit
    return dict(name="W01/cafe0001.json", data=data, reason="sync.too_large", zh="文件过大", refused={e["id"]})


def _complete_copy(site):
    e = visit_event("cafe0001", "W01", "H02", now_ms())
    return e, _craft(site, "W01", "cafe0001", [e])


def bad_syncthing_tmp(site, mp):
    e, data = _complete_copy(site)
    return dict(name="W01/.syncthing.cafe0001.json.tmp", data=data, reason="sync.temp_file",
                zh="同步工具仍在写入此文件，下次重试", refused={e["id"]}, retry=True)


def bad_syncthing_tilde(site, mp):
    e, data = _complete_copy(site)
    return dict(name="W01/~syncthing~cafe0001.json.tmp", data=data, reason="sync.temp_file",
                zh="同步工具仍在写入此文件", refused={e["id"]}, retry=True)


def bad_own_tmp(site, mp):
    e, data = _complete_copy(site)
    return dict(name="W01/.cafe0001.json.4242.gridtui-tmp", data=data, reason="sync.temp_file",
                zh="同步工具仍在写入此文件", refused={e["id"]}, retry=True)


def bad_not_sync_file(site, mp):
    e, data = _complete_copy(site)
    return dict(name="W01/cafe0001.json.bak", data=data, reason="sync.not_sync_file",
                zh="不是同步文件（应为 .json）", refused={e["id"]})


def bad_wrong_folder(site, mp):
    # W02's events, correctly sealed for W02 (an older copy of its file), dropped into W01's folder.
    theirs = list(site.my_events("W02").values())
    data = envelope.seal("W02", site.devices["W02"], "2026-11-24T09:00:00+08:00", theirs, site.keys["W02"])
    return dict(name=f"W01/{site.devices['W02']}.json", data=data, reason="sync.wrong_folder",
                zh="文件自称来自 W02，却放在 W01 的文件夹里")


def bad_outside_grid(site, mp):
    inside = visit_event("cafe0001", "W01", "H02", now_ms())
    outside = visit_event("cafe0001", "W01", "H03", now_ms() + 1)  # H03 is in G02
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [inside, outside]),
                reason="sync.outside_grid", zh="涉及 W01 网格以外的住户", refused={inside["id"], outside["id"]})


def bad_outside_grid_change(site, mp):
    # A status change on the finding W02 recorded in G02: the household comes from the office's state.
    fid = site.finding_of("W02", "H03")
    inside = visit_event("cafe0001", "W01", "H02", now_ms())
    change = make_event([now_ms() + 1, 0], "cafe0001", "W01", "finding", fid, "set",
                        {"status": "closed", "note": "不是我的"})
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [inside, change]),
                reason="sync.outside_grid", zh=f"网格以外的住户（如 {fid}）", refused={inside["id"], change["id"]})


def bad_other_author(site, mp):
    mine = visit_event("cafe0001", "W01", "H02", now_ms())
    theirs = visit_event("cafe0001", "W02", "H01", now_ms() + 1)  # by W02, in a W01 file
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [mine, theirs]),
                reason="sync.wrong_author", zh="冒充其他作者", refused={mine["id"], theirs["id"]})


def bad_other_device(site, mp):
    mine = visit_event("cafe0001", "W01", "H02", now_ms())
    other = visit_event("cafe0002", "W01", "H01", now_ms() + 1)  # another device's event
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [mine, other]),
                reason="sync.wrong_author", zh="冒充其他作者", refused={mine["id"], other["id"]})


def bad_training(site, mp):
    real = visit_event("cafe0001", "W01", "H02", now_ms())
    train = visit_event("cafe0001", "W01", "H01", now_ms() + 1, training=True)
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [real, train]),
                reason="sync.training", zh="培训模式", refused={real["id"], train["id"]})


def bad_forbidden_kind(site, mp):
    real = visit_event("cafe0001", "W01", "H02", now_ms())
    roster = make_event([now_ms() + 1, 0], "cafe0001", "W01", "household", "H01", "set", {"head": "别人"})
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [real, roster]),
                reason="sync.forbidden_kind", zh="无权修改", refused={real["id"], roster["id"]})


def bad_malformed_event(site, mp):
    real = visit_event("cafe0001", "W01", "H02", now_ms())
    broken = visit_event("cafe0001", "W01", "H01", now_ms() + 1)
    broken["id"] = "not-an-id"
    return dict(name="W01/cafe0001.json", data=_craft(site, "W01", "cafe0001", [real, broken]),
                reason="sync.bad_event", zh="格式错误", refused={real["id"]})


BAD_FILES = [bad_not_json, bad_truncated, bad_format, bad_envelope, bad_envelope_v1, bad_wrong_key,
             bad_wrong_key_v1, bad_tampered, bad_ciphertext_byte, bad_tag_byte, bad_nonce, bad_header_device,
             bad_header_created, bad_not_base64, bad_sealed_for_other, bad_payload, bad_tampered_v1,
             bad_unknown_worker, bad_disabled_worker, bad_too_large, bad_syncthing_tmp, bad_syncthing_tilde,
             bad_own_tmp, bad_not_sync_file, bad_wrong_folder, bad_outside_grid, bad_outside_grid_change,
             bad_other_author, bad_other_device, bad_training, bad_forbidden_kind, bad_malformed_event]


@pytest.mark.parametrize("make_bad", BAD_FILES, ids=lambda f: f.__name__[4:])
def test_a_bad_file_is_skipped_with_its_reason_while_the_others_merge(site, two_rounds, monkeypatch, make_bad):
    before, new = two_rounds
    bad = make_bad(site, monkeypatch)
    if "data" in bad:
        site.put(bad["name"], bad["data"])
    bad_path = site.path(bad["name"])
    bad_bytes = bad_path.read_bytes()
    good = [w for w in ("W01", "W02") if w != bad.get("excluded")]

    report = site.merge()

    assert [(s.name, s.reason) for s in report.skipped] == [(bad["name"], bad["reason"])]
    assert report.skipped[0].retry == bad.get("retry", False)
    assert sorted(report.taken) == sorted(site.rel(w) for w in good)
    after = site.office_events()
    assert all(after.get(i) == e for i, e in before.items()), "an event merged before was lost or changed"
    for w in good:
        assert new[w] <= after.keys()
    assert not (bad.get("refused", set()) & after.keys())
    if bad.get("excluded"):
        assert not (new[bad["excluded"]] & after.keys())
    assert set(after) - set(before) == set().union(*(new[w] for w in good))
    assert bad_path.read_bytes() == bad_bytes  # reported, never deleted or changed

    # The same folder again, through the command: the good files are unchanged now, the bad one is
    # reported again in one plain Chinese sentence, and the exit code says something was skipped.
    res = site.merge_cli()
    assert res.exit_code == 1, res.output
    skipped_lines = [ln for ln in res.output.splitlines() if ln.startswith("跳过")]
    assert len(skipped_lines) == 1, res.output
    assert skipped_lines[0].startswith(f"跳过 {bad['name']}：") and bad["zh"] in skipped_lines[0]
    assert f"未变文件 {len(good)} 个" in res.output and "跳过文件 1 个" in res.output
    assert "Traceback" not in res.output
    assert site.office_events() == after


# --- truncation: every half-copied file is "truncated, retry", never "not JSON" ---------------------


def test_a_truncated_file_is_retried_and_taken_once_complete(site):
    site.record("W01", "H01", note="先到的")
    site.sync("W01")
    full = site.path(site.rel("W01")).read_bytes()
    cut = full[: full.index(b'"sealed":"') + len(b'"sealed":"') + (len(full) - full.index(b'"sealed":"')) // 2]
    site.path(site.rel("W01")).write_bytes(cut)

    first = site.merge()
    assert [(s.name, s.reason, s.retry) for s in first.skipped] == [(site.rel("W01"), "sync.truncated", True)]
    assert first.new_events == 0
    assert site.path(site.rel("W01")).read_bytes() == cut  # never deleted

    site.path(site.rel("W01")).write_bytes(full)  # the copy finished
    second = site.merge()
    assert second.skipped == [] and second.taken == [site.rel("W01")]
    assert set(site.my_events("W01")) <= site.office_events().keys()


NOTE = "半截备注：老人独居，需每周上门"


def _cut_mid_sealed(site) -> bytes:
    full = site.path(site.rel("W01")).read_bytes()
    i = full.index(b'"sealed":"') + len(b'"sealed":"')
    return full[: i + (len(full) - i) // 3]


def _cut_mid_header(site) -> bytes:
    full = site.path(site.rel("W01")).read_bytes()
    i = full.index(b'"created":"') + len(b'"created":"2026')
    return full[:i]


@pytest.mark.parametrize("cut", [_cut_mid_sealed, _cut_mid_header], ids=["mid-sealed", "mid-header"])
def test_a_file_cut_anywhere_is_reported_truncated_with_retry(site, cut):
    site.record("W01", "H01", note=NOTE)
    site.sync("W01")
    site.path(site.rel("W01")).write_bytes(cut(site))
    report = site.merge()
    assert [(s.reason, s.retry) for s in report.skipped] == [("sync.truncated", True)]


def test_every_prefix_of_a_sync_file_parses_as_truncated(site):
    site.record("W01", "H01", [{"role": "service", "category": "repair", "asked": "下水道堵塞"}], note="独居老人")
    site.sync("W01")
    full = site.path(site.rel("W01")).read_bytes()
    assert envelope.parse(full).reason is None
    wrong = [i for i in range(1, len(full)) if envelope.parse(full[:i]).reason != "sync.truncated"]
    assert wrong == [], f"{len(wrong)} of {len(full) - 1} prefixes misread, e.g. …{full[:wrong[0]][-20:]!r}"


def test_a_file_unreadable_mid_scan_is_reported_for_retry(site, monkeypatch):
    site.record("W01", "H01")
    site.sync("W01")
    target = site.path(site.rel("W01"))
    real_open = os.open

    def flaky(path, *a, **kw):
        if pathlib.Path(path) == target:
            raise PermissionError(errno.EACCES, "locked by the sync client")
        return real_open(path, *a, **kw)

    monkeypatch.setattr(os, "open", flaky)
    report = site.merge()
    assert [(s.name, s.reason, s.retry) for s in report.skipped] == [(site.rel("W01"), "sync.truncated", True)]


# --- conflict copies, forged ids, clocks, receipts, re-merging ---------------------------------------


def test_a_syncthing_conflict_copy_is_merged_and_recovers_missing_events(site):
    site.record("W01", "H01", note="第一次")
    site.sync("W01")
    first_ids = set(site.my_events("W01"))
    site.record("W01", "H02", [{"role": "safety", "category": "extinguisher", "asked": "灭火器过期"}], note="第二次")
    site.sync("W01")
    mine = site.my_events("W01")
    dev, main_rel = site.devices["W01"], site.rel("W01")
    # The full file survives only as Syncthing's conflict copy; the main file is an older version
    # lacking the second visit; a second conflict copy duplicates the main file.
    full = site.path(main_rel).read_bytes()
    site.put(f"W01/{dev}{CONFLICT_SUFFIX}", full)
    older = site.seal("W01", dev, [mine[i] for i in sorted(first_ids)])
    site.put(main_rel, older)
    site.put(f"W01/{dev}.sync-conflict-20261124-080000-ZZZZZZZ.json", older)
    before = site.office_events()

    report = site.merge()
    assert report.skipped == [] and report.flags == []
    assert len(report.taken) == 3
    after = site.office_events()
    assert set(mine) <= after.keys()
    assert len(after) == len(before) + len(mine)  # duplicates harmless: each event once
    assert all(after[i] == e for i, e in mine.items())


def test_an_id_seen_before_with_other_content_is_refused_and_reported(site):
    site.record("W01", "H01", note="原始记录")
    site.sync("W01")
    site.merge()
    original = site.office_events()
    mine = site.my_events("W01")
    visit_id = next(i for i, e in mine.items() if e["kind"] == "visit")
    forged = copy.deepcopy(mine[visit_id])
    forged["data"]["note"] = "改写的记录"
    honest = visit_event(site.devices["W01"], "W01", "H02", now_ms() + 5)
    others = [e for i, e in mine.items() if i != visit_id]
    site.put(site.rel("W01"), site.seal("W01", site.devices["W01"], [forged, *others, honest]))

    report = site.merge()
    assert report.skipped == []
    assert [(f.reason, f.event["id"]) for f in report.flags] == [("sync.forged_id", visit_id)]
    after = site.office_events()
    assert after[visit_id] == original[visit_id]  # the first kept
    assert after[visit_id]["data"]["note"] == "原始记录"
    assert honest["id"] in after  # the rest of the file still taken
    assert len(after) == len(original) + 1


def test_the_same_id_in_two_new_files_keeps_one_and_flags_the_other(site):
    dev = site.devices["W01"]
    e = visit_event(dev, "W01", "H01", now_ms(), note="甲")
    twin = copy.deepcopy(e)
    twin["data"]["note"] = "乙"
    site.put(f"W01/{dev}.json", site.seal("W01", dev, [e]))
    site.put(f"W01/{dev}{CONFLICT_SUFFIX}", site.seal("W01", dev, [twin]))
    report = site.merge()
    assert report.skipped == []
    assert [f.reason for f in report.flags] == ["sync.forged_id"]
    kept = site.office_events()[e["id"]]
    assert kept["data"]["note"] in ("甲", "乙")
    assert report.flags[0].event["data"]["note"] != kept["data"]["note"]


def test_clock_flags_are_reported_but_the_events_taken(site):
    dev, now = "cafe00ff", now_ms()
    future = visit_event(dev, "W01", "H01", now + 3 * 86_400_000, note="来自未来")
    past = visit_event(dev, "W01", "H02", now - 500 * 86_400_000, note="很久以前")
    normal = visit_event(dev, "W01", "H02", now, note="今天")
    soon = visit_event(dev, "W01", "H01", now + 3_600_000, note="时区差一小时")  # not worth a flag
    site.put(f"W01/{dev}.json", site.seal("W01", dev, [future, past, normal, soon]))
    report = site.merge()
    assert report.skipped == []
    assert sorted((f.reason, f.event["id"]) for f in report.flags) == sorted(
        [("sync.flag_future", future["id"]), ("sync.flag_past", past["id"])])
    assert {future["id"], past["id"], normal["id"], soon["id"]} <= site.office_events().keys()


def test_clock_flags_shown_by_the_merge_command_with_exit_0(site):
    dev, now = "cafe00ff", now_ms()
    future = visit_event(dev, "W01", "H01", now + 2 * 86_400_000)
    site.put(f"W01/{dev}.json", site.seal("W01", dev, [future]))
    res = site.merge_cli()
    assert res.exit_code == 0, res.output
    assert f"注意 W01/{dev}.json：{future['eid']} 时间戳在未来" in res.output


def test_the_office_records_when_it_received_each_event(site):
    t0 = dt.datetime.now().astimezone().replace(microsecond=0)
    site.record("W01", "H01", [{"role": "info", "category": "health", "asked": "住院"}])
    site.record("W02", "H03")
    site.sync("W01")
    site.sync("W02")
    site.merge()
    with site.ledger() as received:
        at = received.received_at()
    worker_ids = set(site.my_events("W01")) | set(site.my_events("W02"))
    assert set(at) == worker_ids  # every event merged, and no roster event, has a receipt
    t1 = dt.datetime.now().astimezone()
    for when in at.values():
        assert t0 <= dt.datetime.fromisoformat(when) <= t1
    # Receipts are appended to a log of their own: office.json, which every merge reads, stays small.
    folder = office_store(site.office)
    ledger_size = (folder / "office.json").stat().st_size
    log = (folder / "receipts.log").read_bytes()
    site.record("W01", "H02", [])
    site.sync("W01")
    site.merge()
    assert (folder / "receipts.log").read_bytes().startswith(log)  # appended, never rewritten
    assert (folder / "office.json").stat().st_size < ledger_size + 1024
    with site.ledger() as received:
        assert set(site.my_events("W01")) <= set(received.received_at())


def test_re_merging_an_unchanged_folder_adds_nothing(site):
    site.record("W01", "H01")
    site.record("W02", "H03")
    site.sync("W01")
    site.sync("W02")
    first = site.merge()
    assert len(first.taken) == 2 and first.new_events == len(site.my_events("W01")) + len(site.my_events("W02"))
    held = site.office_events()

    again = site.merge()
    assert (again.taken, again.new_events, again.unchanged, again.skipped, again.flags, again.conflicts) == (
        [], 0, 2, [], [], [])
    res = site.merge_cli()
    assert res.exit_code == 0, res.output
    assert res.output.strip() == "采用文件 0 个，新记录 0 条，未变文件 2 个，跳过文件 0 个，冲突 0 处"
    assert site.office_events() == held


def test_a_changed_file_adds_only_its_new_events(site):
    site.record("W01", "H01")
    site.sync("W01")
    site.merge()
    held = site.office_events()
    new = set(site.record("W01", "H02"))
    site.sync("W01")
    report = site.merge()
    assert report.taken == [site.rel("W01")] and report.new_events == len(new)
    assert site.office_events().keys() == held.keys() | new


# --- interrupted merges -------------------------------------------------------------------------


def _prepare_interrupted(site):
    site.record("W01", "H01", note="第一轮")
    site.sync("W01")
    site.merge()
    held = site.office_events()
    site.record("W01", "H02", note="第二轮")
    site.record("W02", "H03", note="第二轮")
    site.sync("W01")
    site.sync("W02")
    return held


def test_a_merge_interrupted_while_writing_events_loses_nothing_and_reruns(site, monkeypatch):
    held = _prepare_interrupted(site)
    def disk_full(path, *_a):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_mod, "append_durable", disk_full)
    with pytest.raises(OSError):
        site.merge()
    res = site.merge_cli()  # the command says so in one sentence
    assert one_line_error(res) == "错误：磁盘已满，未能保存；已保存的数据不受影响。请腾出空间后重试。"
    monkeypatch.undo()

    assert site.office_events() == held  # intact, nothing half-written
    report = site.merge()
    assert report.skipped == [] and len(report.taken) == 2
    want = set(site.my_events("W01")) | set(site.my_events("W02"))
    assert want <= site.office_events().keys()


def test_a_merge_interrupted_while_recording_the_ledger_loses_nothing_and_reruns(site, monkeypatch):
    held = _prepare_interrupted(site)

    def crash(*_a, **_kw):
        raise OSError(errno.EIO, "power cut")

    monkeypatch.setattr(Ledger, "record_digests", crash)
    with pytest.raises(OSError):
        site.merge()
    monkeypatch.undo()
    mid = site.office_events()
    assert all(mid.get(i) == e for i, e in held.items())

    report = site.merge()
    assert report.skipped == [] and len(report.taken) == 2  # read again, not "unchanged"
    want = set(site.my_events("W01")) | set(site.my_events("W02"))
    assert want <= site.office_events().keys()
    assert site.merge().unchanged == 2


def test_events_of_an_interrupted_merge_still_get_receipts_after_the_rerun(site, monkeypatch):
    _prepare_interrupted(site)
    monkeypatch.setattr(Ledger, "record_digests", lambda *a, **kw: (_ for _ in ()).throw(OSError(errno.EIO, "cut")))
    with pytest.raises(OSError):
        site.merge()
    monkeypatch.undo()
    site.merge()
    with site.ledger() as ledger:
        at = ledger.received_at()
    want = set(site.my_events("W01")) | set(site.my_events("W02"))
    assert want - set(at) == set()


# --- exit codes of `gridtui office merge` --------------------------------------------------------------


def test_merge_exit_0_when_everything_is_taken(site):
    site.record("W01", "H01")
    site.sync("W01")
    res = site.merge_cli()
    assert res.exit_code == 0, res.output
    assert res.output.startswith("采用文件 1 个，新记录")


def test_merge_without_the_shared_folder_is_exit_2_in_one_sentence(site):
    line = one_line_error(cli(site.office, "office", "merge", "--shared", site.root / "no-usb"))
    assert "不存在或未连接" in line and "no-usb" in line


def test_merge_before_office_init_is_exit_2_in_one_sentence(site, tmp_path):
    line = one_line_error(cli(tmp_path / "fresh-office", "office", "merge", "--shared", site.shared))
    assert "gridtui office init" in line


# --- the file format -----------------------------------------------------------------------------------


def _hkdf(ikm: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)


def _independent_open(obj: dict, worker_key: str, office_private: bytes | None = None) -> dict:
    """Open a sync file by the documented format alone (docs/sync-format.md), with ``cryptography``
    and none of gridtui's code: /2, /3 from the office, or /3 from a device (signature checked)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    fields = ("format", "worker", "device", "created") + (("device_key", "epk", "own") if "sig" in obj else ())
    aad = json.dumps({k: obj[k] for k in fields}, sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False).encode("utf-8")
    nonce, sealed = base64.b64decode(obj["nonce"], validate=True), base64.b64decode(obj["sealed"], validate=True)
    assert len(nonce) == 12
    key = worker_key.encode("utf-8")
    if obj["format"] == "gridtui-sync/2":
        aes_key = _hkdf(key, b"gridtui-sync/2")
    elif "sig" not in obj:
        aes_key = _hkdf(key, b"gridtui-sync/3 to-worker")
    else:
        signed = hashlib.sha256(len(aad).to_bytes(4, "big") + aad + nonce + sealed).digest()
        Ed25519PublicKey.from_public_bytes(base64.b64decode(obj["device_key"])).verify(
            base64.b64decode(obj["sig"]), signed)
        shared = X25519PrivateKey.from_private_bytes(office_private).exchange(
            X25519PublicKey.from_public_bytes(base64.b64decode(obj["epk"])))
        aes_key = _hkdf(shared + _hkdf(key, b"gridtui-sync/3 worker to-office"), b"gridtui-sync/3 to-office")
    return json.loads(AESGCM(aes_key).decrypt(nonce, sealed, aad).decode("utf-8"))


def test_the_sync_file_is_the_device_file_encrypted_per_the_spec(site):
    site.record("W01", "H01", [{"role": "service", "category": "micro_wish", "asked": "想要一台收音机"}],
                note="老人喜欢听戏")
    site.sync("W01")
    files = sorted(p.relative_to(site.shared / "to-office").as_posix()
                   for p in (site.shared / "to-office").rglob("*") if p.is_file())
    assert files == [site.rel("W01")]  # a device writes only its own file
    raw = site.path(site.rel("W01")).read_bytes()
    obj = json.loads(raw.decode("utf-8"))
    assert set(obj) == {"format", "worker", "device", "created", "device_key", "epk", "own", "nonce", "sealed", "sig"}
    assert (obj["format"], obj["worker"], obj["device"]) == ("gridtui-sync/3", "W01", site.devices["W01"])
    dt.datetime.fromisoformat(obj["created"])
    # Nothing a resident said, nor the household, is readable on the USB stick.
    # Base64 blobs are decoded first: random base64 can spell "H01" by chance.
    blobs = {"device_key", "epk", "own", "nonce", "sealed", "sig"}
    plain = json.dumps({k: v for k, v in obj.items() if k not in blobs}, ensure_ascii=False)
    opaque = b"".join(base64.b64decode(obj[k]) for k in sorted(blobs))
    for secret in ("老人喜欢听戏", "想要一台收音机", "H01", "micro_wish", "visit"):
        assert secret not in plain
        assert secret.encode("utf-8") not in opaque
    office_private = site.office_box()[0]
    payload = _independent_open(obj, site.keys["W01"], office_private)
    assert set(payload) <= {"events"}
    assert {e["id"]: e for e in payload["events"]} == site.my_events("W01")
    # ...and only with W01's key and the office's private key: a stolen worker key alone opens nothing
    # a laptop sent, and W02's key with the office's does not either.
    with pytest.raises(Exception):
        _independent_open(obj, site.keys["W02"], office_private)
    with pytest.raises(Exception):
        _independent_open(obj, site.keys["W01"], crypto.new_box_key()[0])


def test_the_office_file_is_encrypted_per_the_spec_and_acknowledges(site):
    site.record("W01", "H01", note="办公室应确认收到")
    site.sync("W01")
    site.merge()
    site.publish()
    raw = (site.shared / "to-worker" / "W01.json").read_bytes()
    obj = json.loads(raw)
    assert set(obj) == {"format", "worker", "device", "created", "nonce", "sealed"}
    assert (obj["format"], obj["worker"], obj["device"]) == ("gridtui-sync/3", "W01", "office")
    assert "张建华" not in raw.decode("utf-8") and "13812345678" not in raw.decode("utf-8")
    payload = _independent_open(obj, site.keys["W01"])
    mine = site.my_events("W01")
    newest = max(e["t"] for e in mine.values())
    assert payload["ack"][site.devices["W01"]] == newest  # (the roster's history has a device of its own)
    held = {e["id"] for e in payload["events"]}
    assert set(mine) <= held
    assert "张建华" in json.dumps(payload, ensure_ascii=False)  # the worker needs the names at the door
    assert base64.b64decode(payload["office_key"]) == site.office_box()[1]  # what the laptop seals to


def test_envelope_round_trip_and_independent_decryption():
    key = "密钥-key-🔑"
    events = [visit_event("d1", "W01", "H01", 1_732_500_000_000, note="备注 \"引号\" \\ 和换行\n")]
    raw = envelope.seal("W01", "d1", CREATED, events, key, ack={"d1": [1, 2]})
    opened = envelope.parse(raw)
    assert opened.reason is None
    obj = opened.obj
    assert (obj["format"], obj["worker"], obj["device"], obj["created"]) == ("gridtui-sync/2", "W01", "d1", CREATED)
    assert "events" not in obj and "备注" not in raw.decode("utf-8")
    assert _independent_open(obj, key) == {"events": events, "ack": {"d1": [1, 2]}}
    whole, problem = envelope.unseal(obj, key)
    assert problem is None
    assert (whole["format"], whole["worker"], whole["device"], whole["created"], whole["events"], whole["ack"]) == (
        "gridtui-sync/2", "W01", "d1", CREATED, events, {"d1": [1, 2]})
    assert envelope.unseal(obj, key + "x") == (None, "sync.bad_signature")
    for field, value in (("worker", "W02"), ("device", "d2"), ("created", "2026-11-25T10:00:01+08:00"),
                         ("format", "gridtui-sync/2 ")):
        assert envelope.unseal({**obj, field: value}, key) == (None, "sync.bad_signature"), field
    # Sealing twice gives different files (a fresh nonce), both opening to the same content.
    again = envelope.parse(envelope.seal("W01", "d1", CREATED, events, key, ack={"d1": [1, 2]})).obj
    assert again["nonce"] != obj["nonce"] and again["sealed"] != obj["sealed"]
    assert _independent_open(again, key) == _independent_open(obj, key)


def test_a_file_of_the_first_format_is_recognised_and_refused_unparsed():
    events = [visit_event("d1", "W01", "H01", 1_732_500_000_000, note="备注")]
    raw = seal_v1("W01", "d1", CREATED, events, "密钥", ack={"d1": [1, 2]})
    assert envelope.parse(raw).reason == "sync.old_format"
    assert envelope.parse(raw.replace(b"gridtui-sync/1", b"gridtui-sync/7")).reason == "sync.bad_format"


def test_write_atomic_never_shows_a_partial_file_under_a_json_name(tmp_path, monkeypatch):
    folder = tmp_path / "to-office" / "W01"
    target = folder / "d1.json"
    seen: list[set[str]] = []
    real_fsync = os.fsync

    def spy(fd):
        if folder.is_dir():
            seen.append(set(os.listdir(folder)))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    shared_folder.write(tmp_path, target, b'{"old": 1}')
    shared_folder.write(tmp_path, target, b'{"new": 2}')
    assert seen, "the write never fsynced"
    temps = set().union(*seen) - {"d1.json"}
    assert temps, "no temp file was seen: the write did not go through a temp name"
    assert all(not n.endswith(".json") and shared_folder.is_temp_name(n) for n in temps), temps
    assert os.listdir(folder) == ["d1.json"] and target.read_bytes() == b'{"new": 2}'


def test_a_write_cut_before_the_rename_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "to-office" / "W01" / "d1.json"
    shared_folder.write(tmp_path, target, b'{"old": 1}')

    def power_cut(*_a):
        raise OSError(errno.EIO, "power cut")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError):
        shared_folder.write(tmp_path, target, b'{"new": 2}')
    assert os.listdir(target.parent) == ["d1.json"] and target.read_bytes() == b'{"old": 1}'


def test_gridtui_sync_writes_through_a_temp_name(site, monkeypatch):
    site.record("W01", "H01")
    folder = site.path(site.rel("W01")).parent
    seen: list[set[str]] = []
    real_fsync = os.fsync

    def spy(fd):
        if folder.is_dir():
            seen.append(set(os.listdir(folder)))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    site.sync("W01")
    names = set().union(*seen)
    assert names - {f"{site.devices['W01']}.json"}, "no temp file seen during sync"
    assert all(shared_folder.is_temp_name(n) and not n.endswith(".json")
               for n in names - {f"{site.devices['W01']}.json"})
    assert os.listdir(folder) == [f"{site.devices['W01']}.json"]


# --- the worker side: setup, sync, acknowledgements --------------------------------------------------------


def test_setup_with_a_wrong_key_is_exit_2_in_one_sentence(site, tmp_path):
    home = tmp_path / "laptop"
    wrong = keys.show(keys.new_key())  # a well-formed key, but not W01's
    line = one_line_error(cli(home, "setup", "--shared", site.shared, "--worker", "W01", input=wrong + "\n"))
    assert line == "错误：无法用该网格员的密钥打开（文件被改动过，或不是为他加密的）"
    assert not Store.exists(real_store(home))


def test_sync_with_the_shared_folder_gone_is_exit_2_in_one_sentence(site):
    site.record("W01", "H01")
    site.shared.rename(site.root / "usb-unplugged")
    line = one_line_error(cli(site.homes["W01"], "sync"))
    assert "共享文件夹" in line and "不存在或未连接" in line and str(site.shared) in line
    assert site.unsynced("W01") == 1  # the visit is still here, still unsynced


def test_training_store_is_never_synced(site):
    res = cli(site.homes["W01"], "--demo", "sync")  # this laptop is joined, yet demo data stays home
    assert one_line_error(res) == "错误：培训模式的数据不会同步"
    assert not (site.shared / "to-office").exists()


def test_unsynced_count_drops_to_zero_once_the_office_merged_and_republished(site):
    site.record("W01", "H01", [{"role": "safety", "category": "gas", "asked": "燃气泄漏"}])
    n = len(site.my_events("W01"))
    assert site.unsynced("W01") == n
    res = site.sync("W01")
    assert f"办公室尚未收到 {n} 条" in res.output
    site.merge()
    site.sync("W01")  # merged, but not published yet: no acknowledgement so far
    assert site.unsynced("W01") == n
    site.publish()
    res = site.sync("W01")
    assert "办公室尚未收到 0 条" in res.output
    assert site.unsynced("W01") == 0
    site.record("W01", "H02")  # a new change is unsynced again until the next round trip
    assert site.unsynced("W01") == 1


def test_the_office_file_never_drops_a_workers_unsynced_changes(site):
    site.record("W01", "H01", note="我的记录")
    mine = site.my_events("W01")
    visit_id = next(i for i, e in mine.items() if e["kind"] == "visit")
    forged = copy.deepcopy(mine[visit_id])
    forged["data"]["note"] = "办公室文件里的假记录"
    office_news = visit_event("office", "office", "H02", now_ms(), note="办公室的记录")
    # An office file, correctly signed, that lacks my events and carries a forged one with my id.
    (site.shared / "to-worker" / "W01.json").write_bytes(site.seal("W01", "office", [forged, office_news], ack={}))

    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        result = sync_worker.sync(s, site.homes["W01"])
    assert (result.refused, result.received, result.unsynced) == (1, 1, len(mine))
    assert site.my_events("W01") == mine
    sent = site.open_file(site.rel("W01"))
    assert {e["id"]: e for e in sent["events"]} == mine


def test_a_fixed_fast_clock_does_not_hide_unsynced_changes(site):
    fast = now_ms() + 3 * 86_400_000
    with Store.open(real_store(site.homes["W01"]), unlock=unlock, clock_ms=lambda: fast) as s:
        s.record_visit({"household": "H01", "outcome": "met", "findings": []})
    site.sync("W01")
    report = site.merge()
    assert [f.reason for f in report.flags] == ["sync.flag_future"]
    site.publish()
    site.sync("W01")
    assert site.unsynced("W01") == 0
    site.record("W01", "H02", note="时钟修好以后")  # the clock is right again
    assert site.unsynced("W01") == 1


def test_a_worker_moved_to_another_grid_can_still_send_new_visits(site):
    site.record("W01", "H01", note="在第一网格时")
    site.sync("W01")
    assert site.merge().skipped == []
    res = ok(cli(site.office, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G02"))
    assert "密钥不变" in res.output  # moved, not re-keyed: the laptop goes on with its key
    site.publish()
    site.sync("W01")
    with Store.open(real_store(site.homes["W01"]), unlock=unlock, load=False) as s:
        assert s.meta["grid"] == "G02"
    new = set(site.record("W01", "H03", note="调到第二网格后"))
    site.sync("W01")
    report = site.merge()
    assert report.skipped == []
    assert new <= site.office_events().keys()


# --- the old clear format (gridtui-sync/1) is refused: it cannot be authenticated before parsing ---------


def test_an_old_format_file_is_refused_and_its_records_come_once_the_laptop_is_updated(site):
    site.record("W01", "H01", [{"role": "safety", "category": "gas", "asked": "燃气管老化"}], note="旧版记录的")
    site.record("W02", "H03", note="新版记录的")
    site.sync("W02")
    mine = site.my_events("W01")
    old_rel = site.rel("W01")  # W01's laptop still runs a gridtui from before encryption
    site.put(old_rel, site.seal_v1("W01", site.devices["W01"], list(mine.values())))
    res = site.merge_cli()
    assert res.exit_code == 1, res.output
    assert f"跳过 {old_rel}：旧版 gridtui 写的未加密文件，不予采用；请更新该电脑上的 gridtui 再同步一次" in res.output
    held = site.office_events()
    assert not set(mine) & held.keys() and set(site.my_events("W02")) <= held.keys()
    # Updated, the laptop writes everything it holds again, now sealed: nothing was lost.
    site.sync("W01")
    again = site.merge()
    assert (again.taken, again.skipped) == ([old_rel], [])
    assert all(site.office_events()[i] == e for i, e in mine.items())


# --- /2 files refused beside good ones in the same folder -----------------------------------------------


def _w01_genuine_and_good(site):
    """W01's synced /2 file, and a second genuine file of another W01 device in the same folder."""
    site.record("W01", "H01", note="本机记录")
    site.sync("W01")
    extra = visit_event("cafe0003", "W01", "H02", now_ms(), note="另一台电脑的记录")
    site.put("W01/cafe0003.json", site.seal("W01", "cafe0003", [extra]))
    return _genuine(site), extra


def _alter_header(site, obj):
    return {**obj, "created": "2026-11-25T10:00:01+08:00"}, site.rel("W01")


def _alter_ciphertext(site, obj):
    sealed = bytearray(base64.b64decode(obj["sealed"]))
    sealed[0] ^= 0x40
    return {**obj, "sealed": base64.b64encode(bytes(sealed)).decode("ascii")}, site.rel("W01")


def _sealed_for_w02(site, obj):
    site.record("W02", "H03", note="W02 的记录")
    site.sync("W02")
    return {**_genuine(site, "W02"), "worker": "W01"}, site.rel("W01")


@pytest.mark.parametrize("alter", [_alter_header, _alter_ciphertext, _sealed_for_w02],
                         ids=["header-changed", "ciphertext-byte", "sealed-for-another-worker"])
def test_an_altered_v2_file_is_refused_while_the_good_ones_beside_it_are_taken(site, alter):
    genuine, extra = _w01_genuine_and_good(site)
    mine = site.my_events("W01")
    bad, rel = alter(site, genuine)
    bad_bytes = _dump(bad)
    site.put(rel, bad_bytes)  # replaces W01's own file
    report = site.merge()
    assert [(s.name, s.reason) for s in report.skipped] == [(rel, "sync.bad_signature")]
    w02_synced = site.path(site.rel("W02")).exists()
    assert sorted(report.taken) == sorted(["W01/cafe0003.json"] + ([site.rel("W02")] if w02_synced else []))
    held = site.office_events()
    assert extra["id"] in held  # the good file in the same folder
    assert not set(mine) & held.keys()
    assert site.path(rel).read_bytes() == bad_bytes  # left where it was, unchanged
    # The genuine file put back (the copy repaired) is taken.
    site.put(rel, _dump(genuine))
    again = site.merge()
    assert again.skipped == [] and again.taken == [rel]
    assert set(mine) <= site.office_events().keys()


# --- the worker reads the office's file -----------------------------------------------------------------


def _office_v1_tampered(site, news):
    obj = json.loads(site.seal_v1("W01", "office", [news], ack={}))
    obj["events"][0]["data"]["note"] = "改过的"
    return _dump(obj)


def _office_v1_wrong_key(site, news):
    return site.seal_v1("W01", "office", [news], key=site.keys["W02"], ack={})


def _office_v2_header_changed(site, news):
    return _dump({**json.loads(site.seal("W01", "office", [news], ack={})), "created": "2026-11-26T00:00:00+08:00"})


def _office_v2_for_w02_renamed(site, news):
    return _dump({**json.loads(site.seal("W02", "office", [news], ack={})), "worker": "W01"})


def _office_v2_wrong_key(site, news):
    return site.seal("W01", "office", [news], key=site.keys["W02"], ack={})


@pytest.mark.parametrize("make", [_office_v1_tampered, _office_v1_wrong_key, _office_v2_header_changed,
                                  _office_v2_for_w02_renamed, _office_v2_wrong_key],
                         ids=["v1-tampered", "v1-wrong-key", "v2-header", "v2-for-W02", "v2-wrong-key"])
def test_a_worker_refuses_an_office_file_it_cannot_trust_and_still_sends(site, make):
    site.record("W01", "H01", note="我的记录")
    mine = site.my_events("W01")
    news = visit_event("office", "office", "H02", now_ms(), note="办公室的记录")
    (site.shared / "to-worker" / "W01.json").write_bytes(make(site, news))
    res = site.sync("W01")
    why = "旧版 gridtui 写的未加密文件" if "v1" in make.__name__ else "无法用该网格员的密钥打开"
    assert f"未读取办公室文件：{why}" in res.output
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        assert news["id"] not in {e["id"] for e in s.events()}
    assert {e["id"]: e for e in site.open_file(site.rel("W01"))["events"]} == mine  # mine still sent


def test_the_sync_key_is_kept_in_the_encrypted_store_not_in_config(site):
    config = json.loads((site.homes["W01"] / "config.json").read_text(encoding="utf-8"))
    assert "key" not in config and config["worker"] == "W01"
    assert site.keys["W01"] not in (site.homes["W01"] / "config.json").read_text(encoding="utf-8")
    with Store.open(real_store(site.homes["W01"]), unlock=unlock, load=False) as s:
        assert s.meta["key"] == site.keys["W01"]
    with pytest.raises(vault.Locked):
        Store.open(real_store(site.homes["W01"]), load=False)


def test_a_worker_cannot_claim_another_worker_inside_the_sealed_payload(site):
    # W01 holds only W01's key, and seals a file for its own folder whose payload claims to be W02's.
    forged = visit_event("beef0002", "W02", "H03", now_ms(), note="W01 冒充 W02")
    head = {"format": envelope.FORMAT_V2, "worker": "W01", "device": "beef0001", "created": CREATED}
    nonce, sealed = crypto.Cipher(crypto.sync_key(site.keys["W01"])).seal_raw(
        _dump({"events": [forged], "worker": "W02", "device": "beef0002"}), envelope.canonical(head))
    site.put("W01/beef0001.json", _dump({**head, "nonce": base64.b64encode(nonce).decode("ascii"),
                                          "sealed": base64.b64encode(sealed).decode("ascii")}))
    report = site.merge()
    assert forged["id"] not in site.office_events()
    assert [s.name for s in report.skipped] == ["W01/beef0001.json"]


def test_an_unchanged_sync_leaves_the_file_alone_but_a_damaged_one_is_written_again(site):
    site.record("W01", "H01", note="一次走访")
    site.sync("W01")
    path = site.path(site.rel("W01"))
    first = path.read_bytes()
    site.sync("W01")
    assert path.read_bytes() == first  # a fresh nonce would have changed every byte: it was not rewritten

    path.write_bytes(first[: len(first) // 2])  # a sync tool or a yanked stick cut it short
    site.sync("W01")
    assert path.read_bytes() != first[: len(first) // 2]
    report = site.merge()
    assert report.skipped == [] and site.rel("W01") in report.taken


def test_a_damaged_receipt_log_is_one_sentence_and_the_merge_takes_nothing_half(site):
    site.record("W01", "H01", [])
    site.sync("W01")
    site.merge()
    log = office_store(site.office) / "receipts.log"
    raw = bytearray(log.read_bytes())
    raw[len(crypto.MAGIC) + 8] ^= 1  # inside its first record, whose checksum still holds the old bytes
    log.write_bytes(bytes(raw) + bytes(raw[len(crypto.MAGIC) + 4:]))  # and a record after it: not a torn tail
    held = site.office_events()
    site.record("W01", "H02", [])
    site.sync("W01")
    res = site.merge_cli()
    line = one_line_error(res)
    assert "receipts.log" in line
    assert site.office_events() == held  # nothing taken half
