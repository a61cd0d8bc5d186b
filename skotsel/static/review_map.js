/* The dashboard's map of sites, each marker coloured and labelled with its worst status. Markers and settings come
   from data-* attributes (templates/review/dashboard_map.html); the table next to the map says the same, so without
   Leaflet or tiles nothing is lost. */
(function () {
  "use strict";

  function parseJSON(text, fallback) {
    try { return JSON.parse(text); } catch (error) { return fallback; }
  }

  function show(container) {
    var markers = parseJSON(container.getAttribute("data-markers"), []);
    if (!markers.length) { return; }
    container.hidden = false;
    var element = container.querySelector("[data-map]");
    var map = L.map(element, {scrollWheelZoom: false});
    var tileUrl = container.getAttribute("data-tile-url");
    if (tileUrl) {
      var tiles = L.tileLayer(tileUrl, {attribution: container.getAttribute("data-tile-attribution") || "", maxZoom: 19});
      tiles.once("tileerror", function () {
        var note = document.createElement("p");
        note.className = "map-note";
        note.textContent = container.getAttribute("data-msg-tiles");
        element.parentNode.insertBefore(note, element.nextSibling);
      });
      tiles.addTo(map);
    }
    var bounds = [];
    markers.forEach(function (marker) {
      var label = document.createElement("span");
      label.textContent = marker.name + ": " + marker.label;
      L.marker([marker.lat, marker.lon], {
        keyboard: false,
        title: label.textContent,
        icon: L.divIcon({className: "review-marker status-" + marker.status, html: label.outerHTML, iconSize: null})
      }).addTo(map);
      bounds.push([marker.lat, marker.lon]);
    });
    map.fitBounds(bounds, {padding: [32, 32], maxZoom: 15});
  }

  function init() {
    if (!window.L) { return; }  // Leaflet did not load: the table alone does the job.
    document.querySelectorAll("[data-review-map]").forEach(show);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
