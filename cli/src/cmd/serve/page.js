"use strict";
(function () {
  var T = {
    ja: {
      title: "電子署名の検証", other: "English", lead: "署名ファイル（.p7s / .p7m、署名付き PDF・XML など）をドロップすると、ETSI EN 319 102-1 に従って検証し、結果を表示します。",
      dropSignature: "署名ファイルをここにドロップ", dropHint: "またはクリックして選択",
      dropContent: "署名対象の文書（分離署名の場合のみ）", contentHint: "署名ファイルに文書が含まれていない場合にドロップ",
      verify: "検証する", clear: "クリア", busy: "検証中…", download: "報告書をダウンロード（HTML）",
      privacy: "ファイルはこのサーバーのメモリ上でのみ検証され、保存も記録もされません。",
      TOTAL_PASSED: "合格", TOTAL_FAILED: "不合格", INDETERMINATE: "判定不能",
      report: "検証報告書", policy: "検証ポリシー", vtime: "検証時刻", signature: "署名", verdict: "判定",
      signer: "署名者", roles: "資格（hcRole）", oids: "証明書ポリシー", level: "署名レベル",
      stime: "署名時刻（署名者の申告）", best: "存在が証明された時刻", timestamps: "タイムスタンプ", none: "なし",
      valid: "有効", invalid: "無効", checks: "検証項目", check: "項目", detail: "内容",
      ts_signature: "署名タイムスタンプ", ts_archive: "アーカイブタイムスタンプ", ts_content: "コンテンツタイムスタンプ", ts_document: "文書タイムスタンプ",
      error: "検証できませんでした", generated: "作成", jst: "日本時間",
      why: {
        HASH_FAILURE: "文書が署名後に変更されたか、別の文書です。",
        SIG_CRYPTO_FAILURE: "署名値が正しくありません。",
        REVOKED: "署名者の証明書は失効しています。",
        REVOKED_NO_POE: "署名者の証明書は失効しており、失効前に署名された証拠がありません。",
        FORMAT_FAILURE: "署名ファイルの形式を読み取れません。",
        SIGNED_DATA_NOT_FOUND: "署名対象の文書がありません。分離署名なら文書もドロップしてください。",
        NO_CERTIFICATE_CHAIN_FOUND: "信頼する認証局までの証明書パスが見つかりません。",
        NO_SIGNING_CERTIFICATE_FOUND: "署名者の証明書が見つかりません。",
        TRY_LATER: "失効情報を入手できませんでした。時間をおいて再度検証してください。",
        OUT_OF_BOUNDS_NO_POE: "証明書の有効期間外で、期間内に署名された証拠がありません。",
        OUT_OF_BOUNDS_NOT_REVOKED: "証明書の有効期間外です。",
        EXPIRED: "証明書の有効期間が終了しています。",
        NOT_YET_VALID: "証明書の有効期間が始まる前の署名です。",
        CHAIN_CONSTRAINTS_FAILURE: "証明書パスが検証条件を満たしません。",
        SIG_CONSTRAINTS_FAILURE: "署名が検証ポリシーの条件を満たしません。",
        CRYPTO_CONSTRAINTS_FAILURE: "使われている暗号アルゴリズムが許容されていません。",
        CRYPTO_CONSTRAINTS_FAILURE_NO_POE: "暗号アルゴリズムの安全期限後で、期限前に存在した証拠がありません。",
        CERTIFICATE_CHAIN_GENERAL_FAILURE: "証明書パスの検証に失敗しました。",
        POLICY_PROCESSING_ERROR: "検証ポリシーを適用できませんでした。"
      }
    },
    en: {
      title: "Signature verification", other: "日本語", lead: "Drop a signature file (.p7s, .p7m, a signed PDF or XML …): it is verified under ETSI EN 319 102-1 and the report is shown.",
      dropSignature: "Drop the signature file here", dropHint: "or click to choose it",
      dropContent: "The signed document (detached signatures only)", contentHint: "Drop it when the signature file does not contain the document",
      verify: "Verify", clear: "Clear", busy: "Verifying…", download: "Download the report (HTML)",
      privacy: "Files are verified in this server's memory only; nothing is stored or logged.",
      TOTAL_PASSED: "Passed", TOTAL_FAILED: "Failed", INDETERMINATE: "Indeterminate",
      report: "Verification report", policy: "Validation policy", vtime: "Validation time", signature: "Signature", verdict: "Verdict",
      signer: "Signer", roles: "Qualifications (hcRole)", oids: "Certificate policies", level: "Level",
      stime: "Signing time (claimed by the signer)", best: "Proven to exist at", timestamps: "Time-stamps", none: "none",
      valid: "valid", invalid: "invalid", checks: "Checks", check: "Check", detail: "Finding",
      ts_signature: "signature time-stamp", ts_archive: "archive time-stamp", ts_content: "content time-stamp", ts_document: "document time-stamp",
      error: "The file could not be verified", generated: "Generated", jst: "Japan time",
      why: {
        HASH_FAILURE: "The document was changed after signing, or it is another document.",
        SIG_CRYPTO_FAILURE: "The signature value is wrong.",
        REVOKED: "The signer's certificate is revoked.",
        REVOKED_NO_POE: "The signer's certificate is revoked and nothing proves the signature is older.",
        FORMAT_FAILURE: "The signature file cannot be read.",
        SIGNED_DATA_NOT_FOUND: "The signed document is missing: for a detached signature, drop the document too.",
        NO_CERTIFICATE_CHAIN_FOUND: "No certificate path to a trusted authority.",
        NO_SIGNING_CERTIFICATE_FOUND: "The signer's certificate was not found.",
        TRY_LATER: "Revocation data could not be obtained; verify again later.",
        OUT_OF_BOUNDS_NO_POE: "Outside the certificate's validity, and nothing proves the signature was made within it.",
        OUT_OF_BOUNDS_NOT_REVOKED: "Outside the certificate's validity.",
        EXPIRED: "The certificate has expired.",
        NOT_YET_VALID: "Signed before the certificate's validity began.",
        CHAIN_CONSTRAINTS_FAILURE: "The certificate path does not meet the constraints.",
        SIG_CONSTRAINTS_FAILURE: "The signature does not meet the validation policy.",
        CRYPTO_CONSTRAINTS_FAILURE: "An algorithm used is not acceptable.",
        CRYPTO_CONSTRAINTS_FAILURE_NO_POE: "An algorithm is past its end date and nothing proves the signature is older.",
        CERTIFICATE_CHAIN_GENERAL_FAILURE: "The certificate path could not be validated.",
        POLICY_PROCESSING_ERROR: "The validation policy could not be applied."
      }
    }
  };
  var L = document.documentElement.lang === "en" ? "en" : "ja";
  var t = T[L];
  var $ = function (id) { return document.getElementById(id); };
  var last = null;

  document.title = t.title + " — kenpo-sign";
  Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (el) {
    el.textContent = t[el.getAttribute("data-t")];
  });
  $("switch-lang").textContent = t.other;
  $("switch-lang").href = "?lang=" + (L === "en" ? "ja" : "en");

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // RFC 3339 UTC → Japan time, "2026-04-01 09:00:00 +09:00".
  function jst(iso) {
    if (!iso) return "-";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return esc(iso);
    var j = new Date(d.getTime() + 9 * 3600 * 1000);
    return j.getUTCFullYear() + "-" + pad(j.getUTCMonth() + 1) + "-" + pad(j.getUTCDate()) + " " +
      pad(j.getUTCHours()) + ":" + pad(j.getUTCMinutes()) + ":" + pad(j.getUTCSeconds()) + " +09:00";
  }
  function row(k, v) { return "<tr><th>" + esc(k) + "</th><td>" + v + "</td></tr>"; }
  function list(a) { return a && a.length ? a.map(esc).join("<br>") : "-"; }
  function verdict(ind, sub, id) {
    var why = sub && t.why[sub] ? '<span class="why">' + esc(t.why[sub]) + "</span>" : "";
    return '<div class="verdict ' + esc(ind) + '"' + (id ? ' id="' + id + '" data-indication="' + esc(ind) + '"' : "") + ">" +
      esc(t[ind] || ind) + '<span class="etsi">' + esc(ind) + (sub ? " / " + esc(sub) : "") + "</span>" + why + "</div>";
  }
  function stamps(ts) {
    if (!ts || !ts.length) return esc(t.none);
    return ts.map(function (x) {
      return esc(t["ts_" + x.type] || x.type) + ": " + jst(x.gen_time) + " (" + esc(x.valid ? t.valid : t.invalid) + ")";
    }).join("<br>");
  }
  function render(r) {
    var h = "<h2>" + esc(t.report) + "</h2>" + verdict(r.indication, r.sub_indication, "verdict");
    h += "<table>" + row(t.policy, esc(r.policy || "-")) + row(t.vtime, jst(r.validation_time)) + "</table>";
    (r.signatures || []).forEach(function (s, i) {
      var g = s.signer || {};
      h += '<div class="sig"><h3>' + esc(t.signature) + " " + (i + 1) + "</h3>" + verdict(s.indication, s.sub_indication);
      h += "<table>" + row(t.signer, esc(g.subject || "-")) + row(t.level, esc(s.level)) +
        row(t.best, jst(s.best_signature_time)) + row(t.timestamps, stamps(s.timestamps)) +
        row(t.stime, jst(s.signing_time)) + row(t.roles, list(g.hc_roles)) + row(t.oids, list(g.policy_oids)) + "</table>";
      h += "<h3>" + esc(t.checks) + '</h3><table class="checks"><tr><th></th><th>' + esc(t.check) + "</th><th>" + esc(t.detail) + "</th></tr>";
      (s.checks || []).forEach(function (c) {
        h += '<tr><td class="' + (c.passed ? "ok" : "ng") + '">' + (c.passed ? "✓" : "✗") + "</td><td>" + esc(c.name) + "</td><td>" + esc(c.detail) + "</td></tr>";
      });
      h += "</table></div>";
    });
    return h;
  }
  function show(id, on) { $(id).hidden = !on; }
  function fail(msg) { $("error").textContent = t.error + ": " + msg; show("error", true); }
  function ready() { $("verify").disabled = !$("signature").files.length; }

  function verify() {
    var sig = $("signature").files[0];
    if (!sig) return;
    var fd = new FormData();
    // Fixed names: the files' own names are not sent.
    fd.append("signature", sig, "signature");
    if ($("content").files.length) fd.append("content", $("content").files[0], "content");
    fd.append("lang", L);
    show("error", false); show("result", false); show("busy", true);
    $("verify").disabled = true;
    fetch("api/v1/verify", { method: "POST", body: fd, credentials: "same-origin" })
      .then(function (res) {
        return res.json().catch(function () { return { error: "HTTP " + res.status }; })
          .then(function (j) { return { ok: res.ok, status: res.status, j: j }; });
      })
      .then(function (a) {
        if (!a.ok || !a.j.indication) { fail(a.j.error || "HTTP " + a.status); return; }
        last = a.j;
        $("report").innerHTML = render(a.j);
        show("result", true);
      })
      .catch(function (e) { fail(String(e)); })
      .then(function () { show("busy", false); ready(); });
  }

  function chosen(input, label) {
    $(label).textContent = input.files.length ? input.files[0].name : "";
  }
  ["signature", "content"].forEach(function (id) {
    var input = $(id), zone = input.parentNode;
    input.addEventListener("change", function () {
      chosen(input, id + "-chosen");
      ready();
      if ($("signature").files.length) verify();
    });
    zone.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
    });
    zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        input.dispatchEvent(new Event("change"));
      }
    });
  });
  // A file dropped elsewhere is not opened by the browser.
  window.addEventListener("dragover", function (e) { e.preventDefault(); });
  window.addEventListener("drop", function (e) { e.preventDefault(); });

  $("form").addEventListener("submit", function (e) { e.preventDefault(); verify(); });
  $("clear").addEventListener("click", function () {
    $("form").reset(); chosen($("signature"), "signature-chosen"); chosen($("content"), "content-chosen");
    show("result", false); show("error", false); ready(); last = null;
  });
  $("download").addEventListener("click", function () {
    if (!last) return;
    var now = new Date().toISOString();
    var doc = '<!DOCTYPE html>\n<html lang="' + L + '"><head><meta charset="utf-8"><title>' + esc(t.report) +
      " — kenpo-sign</title><style>" + document.querySelector("style").textContent + "</style></head><body>" +
      render(last) + '<p class="meta">' + esc(t.generated) + ": " + jst(now) + " — kenpo-sign</p></body></html>\n";
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([doc], { type: "text/html;charset=utf-8" }));
    a.download = "kenpo-sign-report-" + jst(now).slice(0, 19).replace(/[-: ]/g, "") + ".html";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });
})();
