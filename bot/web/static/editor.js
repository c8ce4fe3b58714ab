// Checks the script while it is typed. Builds the list with textContent only: the
// findings quote script text, which must never become markup.
(function () {
  const form = document.getElementById("editor");
  const source = document.getElementById("source");
  const findings = document.getElementById("findings");
  if (!form || !source || !findings) return;
  let timer = null;
  let sequence = 0;
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });
  async function check() {
    const mine = ++sequence;
    const body = new URLSearchParams({ csrf: form.elements.csrf.value, source: source.value });
    const response = await fetch(form.dataset.check, { method: "POST", body: body });
    if (!response.ok || mine !== sequence) return;
    const result = await response.json();
    findings.replaceChildren();
    const lines = result.errors.map((e) => ["error", e]).concat(result.warnings.map((w) => ["", w]));
    if (!lines.length) lines.push(["", findings.dataset.ok || "OK"]);
    for (const [cls, text] of lines) {
      const li = document.createElement("li");
      li.textContent = text;
      if (cls) li.className = cls;
      findings.appendChild(li);
    }
    findings.dataset.checked = String(mine);
  }
})();
