// Review on the call map: approve or reject a person's recording after listening to it.
// Only the console password reaches this (the recorder password is refused by the server).
"use strict";

(function () {
  const URL_REVIEW = "/console/record/review";

  async function send(lang, prompts, verdict) {
    try {
      const response = await fetch(URL_REVIEW, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ lang: lang, prompts: prompts, verdict: verdict }),
      });
      return await response.json().catch(function () { return { ok: false, error: "the server answered " + response.status }; });
    } catch (error) {
      return { ok: false, error: error.message };
    }
  }

  function shown(row, verdict, answer) {
    const result = row.querySelector(".review-result");
    if (answer.changed && answer.changed.includes(row.dataset.prompt)) {
      result.textContent = verdict === "approved"
        ? "Approved." + (answer.offered ? " The language is offered on calls." : "")
        : "Rejected: it must be recorded again.";
      for (const button of row.querySelectorAll("[data-verdict]")) button.disabled = true;
      row.classList.add("reviewed-" + verdict);
    } else {
      result.textContent = "Not changed: " + (answer.error || "unknown error");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const rows = Array.from(document.querySelectorAll("[data-review-row]"));
    for (const row of rows) {
      for (const button of row.querySelectorAll("[data-verdict]")) {
        button.addEventListener("click", async function () {
          const answer = await send(row.dataset.lang, [row.dataset.prompt], button.dataset.verdict);
          for (const same of rows) if (same.dataset.prompt === row.dataset.prompt) shown(same, button.dataset.verdict, answer);
        });
      }
    }
    const all = document.getElementById("review-all");
    if (all) {
      all.addEventListener("click", async function () {
        const open = rows.filter(function (row) { return !row.className.includes("reviewed-"); });
        const prompts = Array.from(new Set(open.map(function (row) { return row.dataset.prompt; })));
        if (!prompts.length) return;
        if (!window.confirm("Approve " + prompts.length + " recordings? Callers will hear them.")) return;
        const answer = await send(all.dataset.lang, prompts, "approved");
        for (const row of open) shown(row, "approved", answer);
        all.parentElement.querySelector(".review-result").textContent =
          (answer.changed || []).length + " approved." + (answer.offered ? " The language is offered on calls." : "");
      });
    }
  });
})();
