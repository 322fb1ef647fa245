// The recording studio: record a prompt with the browser's microphone (MediaRecorder), listen,
// and keep it (uploaded, checked and stored by the server). No libraries, no build step.
// The microphone is open only while recording; a take stays in this page until it is kept.
"use strict";

(function () {
  const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
  const STATUS_TEXT = {
    missing: "missing",
    stale: "stale: the text changed since it was recorded",
    rejected: "rejected: record it again",
    recorded: "recorded, waiting for review",
    approved: "approved",
  };

  document.addEventListener("DOMContentLoaded", function () {
    const cards = Array.from(document.querySelectorAll(".card[data-upload]"));
    if (!cards.length) return;
    const micError = document.getElementById("mic-error");
    let busy = null; // the card that is recording or uploading

    for (const card of cards) setUp(card);

    function setUp(card) {
      const button = function (act) { return card.querySelector("[data-act='" + act + "']"); };
      const result = card.querySelector("[data-result]");
      const kept = card.querySelector("[data-kept]");
      let recorder = null;
      let stream = null;
      let chunks = [];
      let take = null; // the last take, a Blob
      let player = null;

      if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        button("record").disabled = true;
        showMicError("This browser cannot record here. Use a recent Chrome, Firefox or Safari, over https.");
        return;
      }

      button("record").addEventListener("click", start);
      button("stop").addEventListener("click", stop);
      button("listen").addEventListener("click", listen);
      button("keep").addEventListener("click", keep);

      async function start() {
        if (busy) return;
        busy = card;
        lockOthers(true);
        say("Opening the microphone…", "");
        try {
          // A new stream for each take, closed after it: the microphone is on only while recording.
          stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false } });
        } catch (error) {
          busy = null;
          lockOthers(false);
          say("", "");
          showMicError("The microphone could not be opened (" + error.name + "). Allow the microphone for this page, then press Record again.");
          return;
        }
        micError.hidden = true;
        const type = TYPES.find(function (t) { return MediaRecorder.isTypeSupported(t); });
        recorder = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 64000 } : {});
        chunks = [];
        recorder.addEventListener("dataavailable", function (event) { if (event.data.size) chunks.push(event.data); });
        recorder.addEventListener("stop", function () {
          take = new Blob(chunks, { type: recorder.mimeType || type || "audio/webm" });
          for (const track of stream.getTracks()) track.stop();
          stream = null;
          busy = null;
          lockOthers(false);
          card.classList.remove("recording");
          button("record").disabled = false;
          button("listen").disabled = false;
          button("keep").disabled = false;
          button("record").textContent = "● Record again";
          say("Recorded. Listen to it, then keep it or record again.", "");
          button("listen").focus();
        });
        recorder.start();
        card.classList.add("recording");
        button("record").disabled = true;
        button("listen").disabled = true;
        button("keep").disabled = true;
        button("stop").disabled = false;
        button("stop").focus();
        say("Recording… read the text, then press Stop.", "recording");
      }

      function stop() {
        if (recorder && recorder.state === "recording") recorder.stop();
        button("stop").disabled = true;
      }

      function listen() {
        if (!take) return;
        if (player) { player.pause(); URL.revokeObjectURL(player.src); }
        player = new Audio(URL.createObjectURL(take));
        player.play().catch(function () { say("This browser cannot play the take back; you can still keep it.", ""); });
        button("keep").focus();
      }

      async function keep() {
        if (!take || busy) return;
        busy = card;
        lockOthers(true);
        button("keep").disabled = true;
        button("record").disabled = true;
        say("Checking and storing…", "");
        let answer = null;
        try {
          const response = await fetch(card.dataset.upload, {
            method: "POST",
            body: take,
            headers: { "Content-Type": take.type || "application/octet-stream" },
            credentials: "same-origin",
          });
          answer = await response.json().catch(function () { return { ok: false, error: "the server answered " + response.status }; });
        } catch (error) {
          answer = { ok: false, error: "the take could not be sent (" + error.message + "); it is still here: press Keep again" };
        }
        busy = null;
        lockOthers(false);
        button("record").disabled = false;
        if (answer.ok) {
          take = null;
          button("listen").disabled = true;
          button("record").textContent = "● Record again";
          setStatus("recorded", answer.progress);
          say(answer.message, "kept");
          kept.src = answer.url + "?t=" + Date.now();
          kept.parentElement.hidden = false;
          next(card);
        } else {
          button("keep").disabled = false;
          say("Not kept: " + answer.error + ". Anything kept before is unchanged.", "refused");
        }
      }

      function setStatus(status, progress) {
        for (const name of Object.keys(STATUS_TEXT)) card.classList.remove("status-" + name);
        card.classList.add("status-" + status);
        card.querySelector("[data-status]").textContent = STATUS_TEXT[status];
        if (progress) showProgress(progress);
      }

      function say(text, kind) {
        result.textContent = text;
        result.className = "result" + (kind ? " " + kind : "");
      }
    }

    function next(card) {
      const todo = cards.slice(cards.indexOf(card) + 1).concat(cards)
        .find(function (c) { return /status-(missing|stale|rejected)/.test(c.className); });
      const link = document.getElementById("next-todo");
      if (todo) {
        link.href = "#" + todo.id;
        const record = todo.querySelector("[data-act='record']");
        todo.scrollIntoView({ block: "start", behavior: "smooth" });
        record.focus({ preventScroll: true });
      } else {
        link.textContent = "Every prompt is recorded. Thank you!";
      }
    }

    function lockOthers(locked) {
      for (const other of cards) {
        if (other === busy) continue;
        other.querySelector("[data-act='record']").disabled = locked;
      }
    }

    function showProgress(progress) {
      document.getElementById("summary").textContent = progress.summary;
      document.getElementById("bar").value = progress.recorded;
      for (const name of ["approved", "missing", "stale", "rejected"]) {
        document.getElementById("count-" + name).textContent = progress[name];
      }
    }

    function showMicError(text) {
      micError.textContent = text;
      micError.hidden = false;
    }
  });
})();
