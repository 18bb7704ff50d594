// The "Print" button on the safety plan: opens the browser's print dialog (print stylesheet).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
