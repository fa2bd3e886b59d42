// Governance console: the package's own script. Progressive only: every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Drop a file on a drop zone: it goes into the zone's file input, as if chosen.
  for (const zone of document.querySelectorAll(".dropzone")) {
    const input = zone.querySelector("input[type=file]");
    if (!input) continue;
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length > 0) {
        input.files = e.dataTransfer.files;
      }
    });
  }
  // Expand or collapse every child of the execution tree.
  for (const button of document.querySelectorAll("button[data-tree]")) {
    button.addEventListener("click", () => {
      const open = button.dataset.tree === "expand";
      for (const d of document.querySelectorAll(".tree details")) d.open = open;
    });
  }
});
