// Keeps the overview current without a reload, and sends the incidents page's silence requests with the admin key.
(() => {
  const overview = document.getElementById("overview");
  if (overview) {
    const refresh = async () => {
      try {
        const response = await fetch(overview.dataset.refreshUrl, { headers: { Accept: "text/html" }, cache: "no-store" });
        if (response.ok) overview.innerHTML = await response.text();
      } catch { /* the next tick tries again */ }
    };
    setInterval(refresh, Number(overview.dataset.refreshMs) || 3000);
  }

  const result = document.getElementById("silence-result");
  const adminKey = () => document.querySelector("#silence-form [name=adminKey]")?.value ?? "";
  const show = async (response) => {
    if (response.ok) { location.reload(); return; }
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { }
    result.textContent = `${response.status}: ${detail}`;
  };

  document.getElementById("silence-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const until = new Date(Date.now() + Number(form.get("hours")) * 3600_000).toISOString();
    await show(await fetch("/ui/silences", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Admin-Key": adminKey() },
      body: JSON.stringify({ job: form.get("job") || null, route: form.get("route") || null, until, reason: form.get("reason") || null }),
    }));
  });

  document.querySelectorAll("[data-delete-silence]").forEach((button) => button.addEventListener("click", async () => {
    if (!adminKey()) { result.textContent = "Type the admin key first."; return; }
    await show(await fetch(`/ui/silences/${button.dataset.deleteSilence}`, { method: "DELETE", headers: { "X-Admin-Key": adminKey() } }));
  }));
})();
