/* Map sketch of a site (kartskiss) on plain Leaflet 1.9: shows a site's point or area, and on the edit form lets an
   admin place a point or draw an area. The GeoJSON textarea stays the source of truth and the no-script fallback:
   the map reads it on load and whenever it is typed in, and every change on the map is written back into it.
   Without tiles the map is still a drawing canvas. Settings and texts come from data-* attributes (see
   templates/admin/sites/), so the page itself holds no script. */
(function () {
  "use strict";

  // Seven decimals is about a centimetre, the precision the server keeps (skotsel.domain.geometry).
  var SCALE = 1e7;

  function round(value) {
    return Math.round(value * SCALE) / SCALE;
  }

  function toPosition(latlng) {
    return [round(latlng.lng), round(latlng.lat)];
  }

  function toLatLng(position) {
    return L.latLng(position[1], position[0]);
  }

  function isPosition(value) {
    return Array.isArray(value) && value.length >= 2 && value.length <= 3 &&
      value.every(function (n) { return typeof n === "number" && isFinite(n); }) &&
      Math.abs(value[1]) <= 90 && Math.abs(value[0]) <= 180;
  }

  function samePosition(a, b) {
    return a[0] === b[0] && a[1] === b[1];
  }

  /* The shape in GeoJSON text or object as {type: "Point", position} or {type: "Polygon", corners, holes};
     null when there is none, undefined when the map cannot show it (the server will say why on save). */
  function readGeometry(value) {
    var data = value;
    if (typeof value === "string") {
      if (!value.trim()) { return null; }
      try { data = JSON.parse(value); } catch (error) { return undefined; }
    }
    if (data && data.type === "FeatureCollection" && Array.isArray(data.features) && data.features.length === 1) {
      data = data.features[0];
    }
    if (data && data.type === "Feature") { data = data.geometry; }
    if (!data || !Array.isArray(data.coordinates)) { return undefined; }
    if (data.type === "Point" && isPosition(data.coordinates)) {
      return {type: "Point", position: data.coordinates};
    }
    if (data.type === "Polygon" && data.coordinates.length && data.coordinates.every(function (ring) {
      return Array.isArray(ring) && ring.length && ring.every(isPosition);
    })) {
      var corners = data.coordinates[0].slice();
      if (corners.length > 1 && samePosition(corners[0], corners[corners.length - 1])) { corners.pop(); }
      return {type: "Polygon", corners: corners, holes: data.coordinates.slice(1)};
    }
    return undefined;
  }

  function parseJSON(text, fallback) {
    try { return JSON.parse(text); } catch (error) { return fallback; }
  }

  function createMap(container, options) {
    var element = container.querySelector("[data-map]");
    var centre = parseJSON(container.getAttribute("data-centre"), [62.0, 15.5]);
    var map = L.map(element, options).setView(centre, Number(container.getAttribute("data-zoom")) || 10);
    var tileUrl = container.getAttribute("data-tile-url");
    if (tileUrl) {
      var tiles = L.tileLayer(tileUrl, {
        attribution: container.getAttribute("data-tile-attribution") || "",
        maxZoom: 19
      });
      tiles.once("tileerror", function () {
        var note = document.createElement("p");
        note.className = "map-note";
        note.textContent = container.getAttribute("data-msg-tiles");
        element.parentNode.insertBefore(note, element.nextSibling);
      });
      tiles.addTo(map);
    }
    return map;
  }

  function fitShape(map, layer, isPoint) {
    if (isPoint) {
      map.setView(layer.getLatLng(), Math.max(map.getZoom(), 16));
    } else {
      map.fitBounds(layer.getBounds(), {padding: [24, 24], maxZoom: 18});
    }
  }

  function showReadOnly(container) {
    container.hidden = false;
    var map = createMap(container, {scrollWheelZoom: false});
    var shape = readGeometry(parseJSON(container.getAttribute("data-geometry"), null));
    if (!shape) { return; }
    var layer = shape.type === "Point"
      ? L.marker(toLatLng(shape.position), {keyboard: false, interactive: false})
      : L.polygon([shape.corners.map(toLatLng)].concat(shape.holes.map(function (ring) {
        return ring.map(toLatLng);
      })), {interactive: false});
    layer.addTo(map);
    fitShape(map, layer, shape.type === "Point");
  }

  function Editor(container) {
    this.container = container;
    this.input = document.getElementById(container.getAttribute("data-input"));
    this.status = container.querySelector("[data-status]");
    this.villages = parseJSON(container.getAttribute("data-villages"), {});
    this.mode = "point";
    this.marker = null;     // the point, when the site is a point
    this.corners = [];      // draggable corner markers of the area
    this.outline = null;    // the area's polygon
    this.holes = [];        // holes read from the textarea, kept as they were while the outer edge is adjusted
    this.drawing = false;   // corners are being added
  }

  Editor.prototype.start = function () {
    var self = this;
    this.container.hidden = false;
    this.map = createMap(this.container, {});
    this.map.on("click", function (event) { self.mapClicked(event.latlng); });
    this.container.querySelectorAll("[data-action]").forEach(function (button) {
      button.addEventListener("click", function () { self[button.getAttribute("data-action")](); });
    });
    this.input.addEventListener("input", function () { self.load(true); });
    var villageSelect = document.getElementById(this.container.getAttribute("data-village-select"));
    if (villageSelect) {
      villageSelect.addEventListener("change", function () { self.panToVillage(villageSelect.value); });
    }
    this.load(true);
  };

  /* Show what the textarea holds, without writing it back (so typing is never reformatted under the cursor). */
  Editor.prototype.load = function (fit) {
    var shape = readGeometry(this.input.value);
    if (shape === undefined) {
      this.say("data-msg-unreadable");
      return;
    }
    this.clearShape();
    if (shape && shape.type === "Point") {
      this.placeMarker(toLatLng(shape.position));
      this.setMode("point");
      if (fit) { fitShape(this.map, this.marker, true); }
    } else if (shape) {
      var self = this;
      shape.corners.forEach(function (position) { self.addCorner(toLatLng(position)); });
      this.holes = shape.holes;
      this.drawing = false;
      this.setMode("area");
      this.redraw();
      if (fit && this.outline) { fitShape(this.map, this.outline, false); }
    } else {
      this.setMode(this.mode);
    }
  };

  Editor.prototype.say = function (attribute) {
    this.status.textContent = this.container.getAttribute(attribute) || "";
  };

  Editor.prototype.setMode = function (mode) {
    this.mode = mode;
    this.container.querySelectorAll("[data-action=point], [data-action=area]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-action") === mode));
    });
    this.updateFinish();
    if (mode === "point") {
      this.say("data-msg-point");
    } else {
      this.say(this.corners.length && !this.drawing ? "data-msg-done" : "data-msg-area");
    }
  };

  Editor.prototype.point = function () {
    if (this.drawing) { this.finish(); }
    this.setMode("point");
  };

  Editor.prototype.area = function () {
    this.setMode("area");
  };

  Editor.prototype.finish = function () {
    if (!this.drawing || this.corners.length < 3) { return; }
    this.drawing = false;
    this.redraw();
    this.setMode("area");
  };

  Editor.prototype.clear = function () {
    this.clearShape();
    this.write();
    this.setMode(this.mode);
  };

  Editor.prototype.mapClicked = function (latlng) {
    if (this.mode === "point") {
      this.clearShape();
      this.placeMarker(latlng);
      this.write();
    } else if (this.drawing || !this.corners.length) {
      // A finished area is only changed by dragging its corners; "Rensa" starts over.
      if (!this.drawing) {
        this.clearShape();
        this.drawing = true;
        this.setMode("area");
      }
      this.addCorner(latlng);
      this.redraw();
      this.write();
    }
  };

  Editor.prototype.placeMarker = function (latlng) {
    var self = this;
    this.marker = L.marker(latlng, {draggable: true, autoPan: true}).addTo(this.map);
    this.marker.on("dragend", function () { self.write(); });
  };

  Editor.prototype.addCorner = function (latlng) {
    var self = this;
    var isFirst = this.corners.length === 0;
    var corner = L.marker(latlng, {
      draggable: true,
      autoPan: true,
      icon: L.divIcon({className: "site-map-corner" + (isFirst ? " site-map-corner-first" : ""), iconSize: [18, 18]})
    }).addTo(this.map);
    corner.on("drag", function () { self.redraw(); });
    corner.on("dragend", function () { self.write(); });
    if (isFirst) {
      // Clicking the first corner again closes the area, as in most drawing tools.
      corner.on("click", function () { self.finish(); });
    }
    this.corners.push(corner);
  };

  Editor.prototype.redraw = function () {
    var latlngs = this.corners.map(function (corner) { return corner.getLatLng(); });
    var rings = [latlngs].concat(this.holes.map(function (ring) { return ring.map(toLatLng); }));
    var style = {interactive: false, dashArray: this.drawing ? "6 6" : null};
    if (this.outline) {
      this.outline.setLatLngs(rings);
      this.outline.setStyle(style);
    } else if (latlngs.length) {
      this.outline = L.polygon(rings, style).addTo(this.map);
    }
    this.updateFinish();
  };

  /* "Klar" works once the area being drawn has three corners. */
  Editor.prototype.updateFinish = function () {
    this.container.querySelector("[data-action=finish]").disabled = !(this.drawing && this.corners.length >= 3);
  };

  Editor.prototype.clearShape = function () {
    var map = this.map;
    if (this.marker) { map.removeLayer(this.marker); }
    this.corners.forEach(function (corner) { map.removeLayer(corner); });
    if (this.outline) { map.removeLayer(this.outline); }
    this.marker = null;
    this.corners = [];
    this.outline = null;
    this.holes = [];
    this.drawing = false;
  };

  /* The shape as GeoJSON; an area needs three corners before it is one (the server says so on save otherwise). */
  Editor.prototype.geometry = function () {
    if (this.marker) {
      return {type: "Point", coordinates: toPosition(this.marker.getLatLng())};
    }
    if (this.corners.length >= 3) {
      var ring = this.corners.map(function (corner) { return toPosition(corner.getLatLng()); });
      ring.push(ring[0].slice());
      return {type: "Polygon", coordinates: [ring].concat(this.holes)};
    }
    return null;
  };

  Editor.prototype.write = function () {
    var geometry = this.geometry();
    this.input.value = geometry ? JSON.stringify(geometry) : "";
  };

  Editor.prototype.panToVillage = function (villageId) {
    var position = this.villages[villageId];
    if (position && !this.marker && !this.corners.length) {
      this.map.setView(position, 14);
    }
  };

  function init() {
    if (!window.L) { return; }  // Leaflet did not load: the textarea alone does the job.
    document.querySelectorAll("[data-site-map]").forEach(function (container) {
      if (container.getAttribute("data-site-map") === "edit") {
        new Editor(container).start();
      } else {
        showReadOnly(container);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
