// The helpline console in the browser: a keypad that drives the line's real webhooks through
// the console's JSON endpoints, and a print button for the call map. No build step, no libraries.
// Nothing is stored: the page holds only the turn it shows, and the server keeps nothing at all.
"use strict";

(function () {
  const KEYS = "0123456789*#";

  document.addEventListener("DOMContentLoaded", function () {
    for (const button of document.querySelectorAll("[data-print]")) {
      button.addEventListener("click", function () { window.print(); });
    }
    const sim = document.getElementById("sim");
    if (sim) simulator(sim);
  });

  function simulator(root) {
    const urls = root.dataset;
    const el = {
      country: document.getElementById("country"),
      call: document.getElementById("call"),
      hangup: document.getElementById("hangup"),
      sound: document.getElementById("sound"),
      keys: Array.from(document.querySelectorAll("#keypad .key")),
      wait: document.getElementById("wait"),
      place: document.getElementById("place"),
      status: document.getElementById("status"),
      transfer: document.getElementById("transfer"),
      transferLabel: document.getElementById("transfer-label"),
      transferNote: document.getElementById("transfer-note"),
      endings: Array.from(document.querySelectorAll("[data-ending]")),
      spoken: document.getElementById("spoken"),
      keyTable: document.querySelector("#keys tbody"),
      keysOpen: document.getElementById("keys-open"),
      noKeys: document.getElementById("no-keys"),
      standinNote: document.getElementById("standin-note"),
      trail: document.getElementById("trail"),
    };
    let turn = null; // the turn on screen: its URLs are all the server needs for the next step
    let busy = false;
    let trail = [];
    let playback = 0; // bumped to stop the sound that is playing

    nameCountries(el.country);

    el.call.addEventListener("click", function () { start(); });
    el.hangup.addEventListener("click", function () { hangUp("You hung up."); });
    el.country.addEventListener("change", function () { if (turn) start(); });
    el.wait.addEventListener("click", function () { step("wait", { url: turn.silence }, "silence"); });
    for (const button of el.keys) {
      button.addEventListener("click", function () { press(button.dataset.key); });
    }
    for (const button of el.endings) {
      button.addEventListener("click", function () {
        step("transfer", { url: turn.dial.action, status: button.dataset.ending }, "transfer: " + button.textContent.toLowerCase());
      });
    }
    el.sound.addEventListener("change", function () { if (!el.sound.checked) stopSound(); });
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      if (target && (target.tagName === "SELECT" || target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
      if (KEYS.includes(event.key) && event.key.length === 1) {
        event.preventDefault();
        press(event.key);
      }
    });

    function press(key) {
      if (!turn || !turn.gather || busy) return;
      const button = el.keys.find(function (b) { return b.dataset.key === key; });
      if (button) {
        button.classList.add("pressed");
        setTimeout(function () { button.classList.remove("pressed"); }, 180);
      }
      step("press", { url: turn.gather, key: key }, key);
    }

    function start() {
      stopSound();
      trail = ["call from " + (el.country.value || "an unknown country")];
      step("start", {}, null);
    }

    function hangUp(message) {
      stopSound();
      turn = null;
      show(null);
      el.place.textContent = "Not calling";
      setStatus(message);
    }

    async function step(action, body, label) {
      if (busy) return;
      busy = true;
      stopSound();
      setControls();
      setStatus("…");
      try {
        body.country = el.country.value || null;
        const next = await post(urls[action], body);
        if (label) trail.push(label);
        turn = next;
        show(next);
        setStatus("");
        play(0, playback);
      } catch (error) {
        setStatus(String(error.message || error), true);
      } finally {
        busy = false;
        setControls();
      }
    }

    async function post(url, body) {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body),
      });
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      if (!response.ok) throw new Error((data && data.error) || ("The console answered " + response.status));
      return data;
    }

    // Showing a turn -------------------------------------------------------------------------

    function show(t) {
      el.spoken.replaceChildren();
      el.keyTable.replaceChildren();
      el.transfer.hidden = true;
      el.standinNote.hidden = true;
      el.keysOpen.hidden = true;
      el.noKeys.hidden = false;
      for (const button of el.keys) button.classList.remove("open", "pressed");
      el.trail.textContent = trail.length ? trail.join(" → ") : "—";
      if (!t) return;
      el.place.textContent = t.dial ? "Putting the caller through" : (t.ended ? "The call has ended" : capitalise(t.label));
      t.spoken.forEach(function (part, i) { el.spoken.append(spokenItem(part, i)); });
      el.standinNote.hidden = !t.spoken.some(function (part) { return !part.audio; });
      el.keysOpen.hidden = t.keys.length === 0;
      el.noKeys.hidden = t.keys.length > 0;
      const open = new Set();
      for (const k of t.keys) {
        open.add(k.key);
        el.keyTable.append(keyRow(k));
      }
      for (const button of el.keys) if (open.has(button.dataset.key)) button.classList.add("open");
      if (t.dial) {
        el.transfer.hidden = false;
        el.transferLabel.textContent = t.dial.label;
        el.transferNote.textContent = (t.dial.whisper_text ? "Whoever answers first hears: “" + t.dial.whisper_text + "” " : "") + (t.dial.caller_id
          ? "The person answering sees " + t.dial.caller_id + ": the helpline's number, never the caller's."
          : "");
      }
      if (t.ended && !t.dial) setStatus("The line hung up.");
    }

    function spokenItem(part, i) {
      const li = document.createElement("li");
      li.dataset.index = String(i);
      const text = document.createElement("p");
      text.className = "text";
      text.textContent = part.text || "(audio without known words)";
      if (part.lang) text.lang = part.lang;
      text.dir = "auto";
      const source = document.createElement("p");
      source.className = "source";
      source.append(tag(part.lang || part.tag));
      if (part.audio) {
        source.append(strong("Built audio"), "as callers hear it · " + (part.engine_name || part.engine || "unknown engine"));
        const audio = document.createElement("audio");
        audio.controls = true;
        audio.preload = "metadata";
        audio.src = part.audio;
        li.append(text, source, audio);
      } else {
        const standin = document.createElement("span");
        standin.className = "standin";
        standin.textContent = "Stand-in voice";
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = "Read aloud";
        again.addEventListener("click", function () { stopSound(); speak(part, li, function () {}); });
        source.append(standin, "callers hear " + (part.voice || "Twilio's voice") + " (" + (part.tag || "?") + ")", again);
        li.append(text, source);
      }
      return li;
    }

    function keyRow(k) {
      const tr = document.createElement("tr");
      if (k.transfer) tr.className = "transfer-key";
      const key = document.createElement("td");
      const cap = document.createElement("span");
      cap.className = "keycap";
      cap.textContent = k.key;
      key.append(cap);
      const to = document.createElement("td");
      to.textContent = k.label;
      const meaning = document.createElement("td");
      meaning.className = "meaning";
      meaning.textContent = k.meaning || "";
      tr.append(key, to, meaning);
      return tr;
    }

    function setControls() {
      const listening = Boolean(turn && turn.gather) && !busy;
      for (const button of el.keys) button.disabled = !listening;
      el.wait.disabled = !(turn && turn.silence) || busy;
      for (const button of el.endings) button.disabled = !(turn && turn.dial) || busy;
      el.hangup.disabled = !turn || turn.ended || busy;
      el.call.disabled = busy;
      el.call.textContent = turn ? "Call again" : "Call the line";
    }

    function setStatus(message, error) {
      el.status.textContent = message || "";
      el.status.classList.toggle("error", Boolean(error));
    }

    // Sound: the built audio, or the browser's voice as a clearly labelled stand-in ------------

    function play(i, token) {
      if (token !== playback || !turn || !el.sound.checked) return;
      const items = el.spoken.children;
      for (const li of items) li.classList.remove("playing");
      if (i >= items.length) return;
      const li = items[i];
      const part = turn.spoken[i];
      const next = function () { play(i + 1, token); };
      li.classList.add("playing");
      if (part.audio) {
        const audio = li.querySelector("audio");
        audio.onended = next;
        audio.onerror = next;
        audio.currentTime = 0;
        const started = audio.play();
        if (started) started.catch(function () { if (token === playback) setStatus("Press play to hear the audio (the browser blocked autoplay)."); });
      } else {
        speak(part, li, next);
      }
    }

    function speak(part, li, done) {
      let finished = false;
      const finish = function () { if (!finished) { finished = true; done(); } };
      if (!("speechSynthesis" in window) || !part.text) { finish(); return; }
      const utterance = new SpeechSynthesisUtterance(part.text);
      if (part.tag) utterance.lang = part.tag;
      const voice = pickVoice(part.tag);
      if (voice) utterance.voice = voice;
      utterance.rate = 0.9;
      utterance.onend = finish;
      utterance.onerror = finish;
      li.classList.add("playing");
      window.speechSynthesis.speak(utterance);
      // A browser without voices never starts speaking: move on rather than wait forever.
      setTimeout(function () { if (!window.speechSynthesis.speaking) finish(); }, 1500);
    }

    function pickVoice(tagName) {
      if (!tagName) return null;
      const voices = window.speechSynthesis.getVoices();
      const lang = tagName.toLowerCase();
      return voices.find(function (v) { return v.lang.toLowerCase() === lang; })
        || voices.find(function (v) { return v.lang.toLowerCase().split("-")[0] === lang.split("-")[0]; })
        || null;
    }

    function stopSound() {
      playback += 1;
      for (const audio of el.spoken.querySelectorAll("audio")) audio.pause();
      for (const li of el.spoken.children) li.classList.remove("playing");
      if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    }

    setControls();
  }

  // Helpers ------------------------------------------------------------------------------------

  function nameCountries(select) {
    // Country names in the reader's language, from the browser; the codes stay as the values.
    let names = null;
    try { names = new Intl.DisplayNames([navigator.language || "en", "en"], { type: "region" }); } catch (e) { return; }
    const options = Array.from(select.options).filter(function (o) { return o.value; });
    for (const option of options) {
      let name = option.value;
      try { name = names.of(option.value) || option.value; } catch (e) { /* keep the code */ }
      option.dataset.name = name;
      option.textContent = name + " (" + option.value + ") · " + option.dataset.languages;
    }
    options.sort(function (a, b) {
      if (a.value === "NO") return -1;
      if (b.value === "NO") return 1;
      return a.dataset.name.localeCompare(b.dataset.name);
    });
    for (const option of options) select.append(option);
  }

  function tag(text) {
    const span = document.createElement("span");
    span.className = "keycap";
    span.textContent = text || "?";
    return span;
  }

  function strong(text) {
    const b = document.createElement("strong");
    b.textContent = text;
    return b;
  }

  function capitalise(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
  }
})();
