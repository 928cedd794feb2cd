"""Backdrops for the offline provider: which kind of place a scene is, at what hour and in what weather, read
from the words of its setting and mood, then painted: the sky and the weather here, the place itself in
``offline_land``, ``offline_places`` or ``offline_rooms`` (through ``offline_scenery``'s ``Stage``), and what
stands in front of the characters in ``offline_foreground``.

Why it exists: every keyframe and ``draw_setting`` call starts from one of these scenes, so "a storm at the
lighthouse" has to look like a storm at a lighthouse and not like "a quiet valley". The words pick one of twelve
families of place (``_family``: valley, forest, sea, lighthouse, city, interior, workshop, night sky, space,
desert, snow, storm), a time of day (``_time_of_day``: day, dawn, dusk, night) and a weather (``_weather``:
clear, cloudy, rain, fog, snow, storm), and the last two apply to every family through one light model (the
``Stage`` colours in ``offline_scenery``), so fog in the forest and a storm over the harbour need no special
cases. Sky gradients, clouds, stars and the milky way are done once at 1x in numpy; shapes go on a 2x canvas
(``_Pen``) that callers box-reduce. ``_foreground`` draws what stands in front of the characters (grass at the
bottom edge, a branch, a railing, rain near the lens) as a separate mostly transparent layer for the parallax
renderer, kept off the middle of the frame where faces are. Every random choice comes from ``_rng`` seeded by
the seed and text, so the same inputs give the same picture.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from core.providers import offline_foreground as fore
from core.providers.offline_draw import Palette, _by_lum, _colours, _lum, _mix, _rng, _to_img
from core.providers.offline_land import desert, forest, snow, storm, valley
from core.providers.offline_places import city, lighthouse, night_sky, sea, space
from core.providers.offline_rooms import interior, workshop
from core.providers.offline_scenery import Pen, Stage, _find

FAMILIES = {"valley": valley, "forest": forest, "sea": sea, "lighthouse": lighthouse, "city": city,
            "interior": interior, "workshop": workshop, "night sky": night_sky, "space": space, "desert": desert,
            "snow": snow, "storm": storm}

# Families of place and the words that name them: whole words, plurals allowed; a trailing "*" takes any ending.
# The first place word in the setting wins (then in the mood), so "a quiet valley at the edge of town" is a
# valley and "harbour town at sunset" a harbour.
_PLACES = (
    ("workshop", "workshop* clockmaker* watchmaker* toymaker* tinker* inventor* forge smithy garage workbench* "
                 "laborator* lab factory mechanic* carpent* cobbler*"),
    ("interior", "room interior* kitchen* library librar* inside indoors office* studio* attic* bedroom* hall "
                 "hallway* cabin* tavern* inn cellar* study parlo* classroom* school* museum* theat* bakery "
                 "cafe* restaurant* shop* living_room bathroom* corridor* chamber* ballroom*"),
    ("space", "space spaceship* spacecraft* starship* rocket* planet* asteroid* lunar galax* nebula* cosmos "
              "cosmic orbit* mars martian moonbase* moonscape* crater* on_the_moon to_the_moon surface_of_the_moon "
              "moon_surface moon_base astronaut*"),
    ("lighthouse", "lighthouse* cliff* coast* headland* bluff* lightkeeper*"),
    ("sea", "sea seas ocean* harbo* port dock* pier* quay* wharf marina* beach* bay lake* river* shore* boat* "
            "ship sail* island* lagoon* seaside reef* jetty waterfront* canal* pond* deck"),
    ("city", "city cities street* town* village* market* alley* avenue* downtown metro* square plaza* "
             "boulevard* neon cyber* urban station* bridge*"),
    ("forest", "forest* wood woods woodland* tree trees jungle* grove* orchard* thicket* glade* clearing* "
               "rainforest* pines copse* swamp*"),
    ("desert", "desert* dune* sand sands sandy canyon* mesa* oasis sahara badlands wasteland* savanna*"),
    ("snow", "snowfield* tundra arctic antarctic glacier* mountain* peak* alp* polar iceberg* frozen ski* "
             "igloo* ice_field*"),
    ("night sky", "rooftop* observatory stargaz* milky_way constellation* night_sky starry comet* meteor* "
                  "aurora* telescope*"),
    ("valley", "valley* meadow* field* farm* hill* countryside pasture* prairie garden* park* glen* "
               "vineyard* moor* castle* kingdom*"),
)
# With no place word at all, the weather or the sky is the place: "caught in the storm", "under the stars".
_ATMOSPHERES = (("storm", "storm* tempest* thunder* lightning gale* hurricane* typhoon* squall*"),
                ("snow", "snow* blizzard* winter*"), ("night sky", "star stars moon moonlit moonlight"))
_WEATHER = (("storm", "storm* tempest* thunder* lightning gale* hurricane* typhoon* squall*"),
            ("snow", "snow* blizzard* winter* sleet frost* wintry"),
            ("rain", "rain* drizzl* downpour* shower* wet monsoon* puddle*"),
            ("fog", "fog* mist* haze hazy murk* smog*"),
            ("cloudy", "cloud* overcast grey gray gloom* dreary dull sombre somber"))
_TIMES = (("night", "night* midnight* moon moonlit moonlight nocturn* dark darkness star stars starry"),
          ("dawn", "dawn* sunrise daybreak first_light early_morning"),
          ("dusk", "dusk sunset* evening* twilight golden sundown late_afternoon"))
def _family(setting: str, mood: str) -> str:
    """The family of place a scene is drawn as, from its setting first and then its mood."""
    for text in ((setting or "").lower(), (mood or "").lower()):
        hits = [(at, i, name) for i, (name, words) in enumerate(_PLACES) if (at := _find(text, words)) >= 0]
        if hits:
            name = min(hits)[2]
            if name == "night sky" and _time_of_day(f"{setting} {mood}".lower()) in ("day", "dawn") \
                    and _find(text, "rooftop*") >= 0:
                return "city"  # rooftops in daylight are a town, not a starry sky
            return name
    text = f"{setting} {mood}".lower()
    for name, words in _ATMOSPHERES:
        if _find(text, words) >= 0:
            return name
    return "valley"


def _time_of_day(text: str) -> str:
    """day, dawn, dusk (golden hour to sunset) or night, from the words; night words win, then dawn, dusk."""
    for name, words in _TIMES:
        if _find(text, words) >= 0:
            return name
    return "day"


def _weather(text: str, family: str = "") -> str:
    for name, words in _WEATHER:
        if _find(text, words) >= 0:
            return name
    if family in ("storm", "snow") and _find(text, "clear sunny bright crisp") < 0:
        return family
    return "clear"


_SKY = {  # (zenith, horizon, sun or moon) per time of day
    "day": ((84, 140, 206), (206, 226, 236), (255, 250, 230)),
    "dawn": ((72, 86, 150), (248, 196, 170), (255, 228, 196)),
    "dusk": ((52, 46, 104), (250, 164, 104), (255, 212, 146)),
    "night": ((6, 10, 30), (34, 48, 88), (236, 234, 218)),
}
_TINT = {"day": ((255, 250, 240), 0.0), "dawn": ((255, 170, 176), 0.14), "dusk": ((255, 146, 84), 0.22),
         "night": ((40, 56, 104), 0.35)}
_DIM = {"day": 1.0, "dawn": 0.9, "dusk": 0.82, "night": 0.4}
# weather: (greying of colours, dimming, cloud cover, mist on the depth planes)
_WX = {"clear": (0.0, 1.0, 0.22, 1.0), "cloudy": (0.3, 0.84, 0.62, 1.2), "rain": (0.42, 0.7, 0.78, 1.4),
       "fog": (0.3, 0.92, 0.0, 2.4), "snow": (0.22, 0.92, 0.66, 1.5), "storm": (0.55, 0.5, 0.92, 1.3)}


def _look(setting: str, mood: str, palette: Palette, seed: int, size):
    """Everything both the backdrop and its foreground need: the words read, the light, the frame."""
    w, h = int(size[0]), int(size[1])
    W, H = 1280.0, 1280.0 * h / w  # design units: element sizes are tuned for a 1280-wide frame
    text, place = f"{setting} {mood}".lower(), (setting or "").lower()
    fam = _family(setting, mood)
    tod = {"night sky": "night", "space": "day"}.get(fam) or _time_of_day(text)  # in space the sun is always out
    wx = "clear" if fam == "space" else _weather(text, fam)
    cols = _colours(palette)
    lo = _by_lum(cols)
    rng = _rng("scene", seed, setting, mood, tuple(cols))
    zen, hor, sun = _SKY[tod]
    desat, dim, cover, mist = _WX[wx]
    if fam == "space":
        zen, hor, sun = (2, 3, 10), (10, 12, 28), (255, 246, 226)
    else:
        zen, hor = _mix(zen, lo[1], 0.2), _mix(hor, lo[-1], 0.25)
        if wx != "clear":  # an overcast sky: greyer, flatter, darker in rain and storm
            g = (_lum(zen) + _lum(hor)) / 2
            grey = (g * 0.92, g * 0.96, g * 1.04)
            k = {"cloudy": 0.55, "rain": 0.7, "fog": 0.8, "snow": 0.65, "storm": 0.75}[wx]
            lift = {"cloudy": 1.05, "rain": 0.85, "fog": 1.08, "snow": 1.15, "storm": 0.55}[wx]
            zen = tuple(int(min(255, v * lift)) for v in _mix(zen, grey, k))
            hor = tuple(int(min(255, v * lift)) for v in _mix(hor, grey, k * 0.85))
            if wx == "storm":
                zen, hor = _mix(zen, (20, 30, 34), 0.4), _mix(hor, (90, 104, 100), 0.3)
    horizon = {"valley": 0.55, "forest": 0.6, "sea": 0.5, "lighthouse": 0.5, "city": 0.5, "night sky": 0.64,
               "space": 0.6, "desert": 0.56, "snow": 0.55, "storm": 0.58}.get(fam, 0.6)
    hy = H * (horizon + rng.uniform(-0.015, 0.015))
    sx = W * rng.uniform(0.15, 0.85)
    sy = {"day": 0.17 * H, "dawn": hy - 0.1 * H, "dusk": hy - 0.13 * H, "night": 0.17 * H}[tod]
    wind = 1.0 if wx == "storm" else 0.5 if _find(text, "wind* breez* blustery gust*") >= 0 else 0.0
    lit = {"day": 0.04, "dawn": 0.2, "dusk": 0.4, "night": 0.62}[tod] + (0.2 if wx in ("storm", "rain", "fog") else 0)
    return dict(text=text, place=place, family=fam, tod=tod, weather=wx, cols=cols, lo=lo, rng=rng, zen=zen, hor=hor,
                sun_col=sun, desat=desat, dim=max(0.34, dim * _DIM[tod]), cover=cover,
                mist=mist * (1.5 if tod == "dawn" else 1),
                tint=_TINT[tod][0], tint_amt=_TINT[tod][1], haze=hor, fog=1.15 if wx == "fog" else 1.0,
                fog_pow=0.6 if wx == "fog" else 1.0, fog_min=0.22 if wx == "fog" else 0.0, W=W, H=H, w=w, h=h, hy=hy,
                sun=(sx, sy), wind=wind,
                wind_dir=1.0 if rng.random() < 0.6 else -1.0, lit=min(0.85, lit),
                snowy=wx == "snow" or fam == "snow" or _find(text, "snow* winter* frost* icy") >= 0,
                wet=wx in ("rain", "storm"), autumn=_find(text, "autumn* fall harvest") >= 0,
                beam_on=tod in ("night", "dusk") or wx in ("storm", "fog", "rain"),
                lamps=tod in ("night", "dusk") or wx in ("storm", "rain"), window_left=rng.random() < 0.5)


# --------------------------------------------------------------------------- the sky, in numpy at 1x

def _noise(rng, w, h, cells, octaves=4, stretch=1.0) -> np.ndarray:
    """Fractal value noise in about 0..1, (h, w), computed at half size and scaled up (it is soft anyway)."""
    hw, hh = max(2, w // 2), max(2, h // 2)
    acc = np.zeros((hh, hw), np.float32)
    total = 0.0
    for o in range(octaves):
        gx = max(2, int(cells * 2 ** o * stretch))
        gy = max(2, int(cells * 2 ** o * h / w))
        g = rng.random((gy, gx)).astype(np.float32)
        acc += np.asarray(Image.fromarray(g).resize((hw, hh), Image.Resampling.BICUBIC)) * 0.5 ** o
        total += 0.5 ** o
    return np.asarray(Image.fromarray(acc / total).resize((w, h), Image.Resampling.BILINEAR))


def _sky(L) -> np.ndarray:
    rng, w, h, W = L["rng"], L["w"], L["h"], L["W"]
    s = W / w  # design units per pixel
    hy = L["hy"] / s
    fam, tod, wx = L["family"], L["tod"], L["weather"]
    y = np.arange(h, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    t = np.clip(y / hy, 0, 1)[..., None] ** 1.4
    sky = np.array(L["zen"], np.float32) / 255 * (1 - t) + np.array(L["hor"], np.float32) / 255 * t
    sky = np.broadcast_to(sky, (h, w, 3)).copy()
    sx, sy = L["sun"][0] / s, L["sun"][1] / s
    d = np.sqrt((x - sx) ** 2 + (y - sy) ** 2) / w
    sun = np.array(L["sun_col"], np.float32) / 255
    clear = wx in ("clear", "cloudy", "snow")
    if fam != "space":
        core, broad = (0.5, 0.16) if tod == "day" else (0.6, 0.42) if tod in ("dusk", "dawn") else (0.3, 0.1)
        if not clear:
            core, broad = 0.0, broad * 0.8
        glow = core * np.exp(-d * d / 0.003) + broad * np.exp(-d * d / 0.06)
        sky += (sun - sky) * np.clip(glow, 0, 1)[..., None]
    if fam in ("space", "night sky") or (tod == "night" and wx in ("clear", "cloudy")):
        dense = 3.0 if fam in ("night sky", "space") else 1.0
        if fam in ("night sky", "space") or (wx == "clear" and rng.random() < 0.5):  # the milky way
            ang = rng.uniform(0.35, 0.9) * (1 if rng.random() < 0.5 else -1)
            cx, cy = w * rng.uniform(0.35, 0.65), hy * 0.45
            dist = np.abs((x - cx) * math.sin(ang) - (y - cy) * math.cos(ang)) / w
            band = np.exp(-(dist / 0.09) ** 2)
            n = _noise(rng, w, h, 6, 4)
            lane = np.exp(-(dist / 0.018) ** 2) * np.clip((n - 0.45) * 4, 0, 1)
            glow = band * np.clip(n * 1.6 - 0.3, 0, 1) * (1 - 0.7 * lane) * (0.5 if dense > 1 else 0.25)
            tintc = np.array(_mix((200, 190, 236), L["lo"][-1], 0.3), np.float32) / 255
            sky += glow[..., None] * (tintc - sky * 0.5)
            if fam == "space":
                neb = _noise(rng, w, h, 3, 4)
                c1, c2 = (np.array(_mix(c, (120, 60, 160), 0.4), np.float32) / 255 for c in L["lo"][2:4])
                a = np.clip((neb - 0.5) * 2.5, 0, 1)[..., None] * 0.35
                sky += a * (c1 * (1 - t) + c2 * t)
        else:
            band = np.zeros((h, w), np.float32)
        n_st = int(rng.integers(180, 260) * dense * w * h / (1280 * 720))
        k = 3 * n_st
        px, py = rng.uniform(0, w, k), rng.uniform(0, hy * (1.0 if fam == "space" else 0.95), k)
        keep = rng.random(k) < (0.3 + 0.7 * band[py.astype(int), px.astype(int)])
        px, py = px[keep][:n_st].astype(int), py[keep][:n_st].astype(int)
        b = rng.random(len(px)) ** 3 * 0.9 + 0.15
        fade = np.clip(1.2 - py / hy, 0, 1) if fam != "space" else 1.0
        star = np.zeros((h, w), np.float32)
        np.add.at(star, (py, px), b * fade)
        big = b > 0.6
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            np.add.at(star, (np.clip(py[big] + dy, 0, h - 1), np.clip(px[big] + dx, 0, w - 1)), b[big] * fade * 0.45
                      if fam == "space" else b[big] * 0.4)
        sky += star[..., None] * np.array([1.0, 0.98, 0.92], np.float32)
    if fam == "space":
        _planet(sky, rng, w, h, hy, L)
    elif clear:
        r = (0.032 if tod == "night" else 0.028) * w * 1.0
        disc = np.clip(r - d * w + 1, 0, 1) * (1.0 if wx == "clear" else 0.35)  # through cloud, only a pale disc
        if tod == "night":
            mar = _noise(rng, w, h, 40, 2)
            moon = sun * (1 - 0.25 * np.clip((mar - 0.5) * 3, 0, 1))[..., None]
            sky = sky * (1 - disc[..., None]) + moon * disc[..., None]
        else:
            sky = sky * (1 - disc[..., None]) + sun * disc[..., None]
    cover = 0.0 if fam in ("space", "night sky") else L["cover"] * (0.5 if tod == "night" and wx == "clear" else 1)
    if cover > 0:
        n = _noise(rng, w, h, 7 if wx in ("clear", "cloudy") else 5, 5,
                   stretch=0.45 if wx in ("clear", "cloudy") else 0.6)
        th = float(np.quantile(n[: max(1, int(hy)):6, ::6], 1 - cover))
        soft = 0.03 if wx == "clear" else 0.1
        a = np.clip((n - th) / soft, 0, 1)
        a = a * np.clip((hy - y) / (hy * 0.35), 0, 1) * (0.95 if wx != "clear" else 0.9)
        nd = np.roll(n, -max(2, h // 30), axis=0)
        shade = np.clip((n - nd) * 5 + 0.6, 0, 1)[..., None]
        if wx == "storm":
            dark, light = np.array((38, 44, 50), np.float32) / 255, np.array((112, 120, 126), np.float32) / 255
        elif wx == "rain":
            dark, light = np.array((86, 92, 102), np.float32) / 255, np.array((160, 166, 174), np.float32) / 255
        elif wx == "clear":  # fair-weather clouds: white, shaded blue by the sky
            light = np.array(_mix((255, 255, 255), L["sun_col"], 0.3), np.float32) / 255
            dark = np.array(_mix(_mix((255, 255, 255), L["zen"], 0.45), (120, 110, 130), 0.15), np.float32) / 255
        else:
            dark = np.array(_mix(L["hor"], (90, 96, 120), 0.5), np.float32) / 255
            light = np.array(_mix((255, 255, 255), L["sun_col"], 0.4), np.float32) / 255
        dimc = {"day": 1.0, "dawn": 0.92, "dusk": 0.85, "night": 0.32}[tod]
        cloud = (dark * (1 - shade) + light * shade) * dimc
        if tod in ("dusk", "dawn"):
            cloud = cloud * 0.75 + (sun * 0.9 * shade + np.array(L["zen"], np.float32) / 255 * (1 - shade)) * 0.25
        rim = np.exp(-d * d / 0.02)[..., None] * (0.6 if clear else 0.25)
        cloud = cloud + (sun - cloud) * rim * (1 - a[..., None]) * 2 * a[..., None]
        sky = sky * (1 - a[..., None]) + cloud * a[..., None]
    if wx == "fog":
        f = np.clip(1 - np.abs(y - hy) / (hy * 0.9), 0, 1)[..., None] ** 0.7 * 0.6
        sky += (np.array(L["hor"], np.float32) / 255 - sky) * f
    return sky


def _planet(sky, rng, w, h, hy, L):
    r = w * rng.uniform(0.12, 0.2)
    cx, cy = w * rng.choice([rng.uniform(0.15, 0.3), rng.uniform(0.7, 0.85)]), hy * rng.uniform(0.3, 0.5)
    x0, x1 = int(max(0, cx - r * 1.6)), int(min(w, cx + r * 1.6))
    y0, y1 = int(max(0, cy - r * 1.2)), int(min(h, cy + r * 1.2))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    nx, ny = (xx - cx) / r, (yy - cy) / r
    rr = nx * nx + ny * ny
    inside = np.clip((1 - np.sqrt(rr)) * r, 0, 1)
    nz = np.sqrt(np.clip(1 - rr, 0, 1))
    lx, ly = (-0.7 if cx > w / 2 else 0.7), -0.3
    lam = np.clip(nx * lx + ny * ly + nz * 0.64, 0, 1) ** 0.8
    earth = _find(L["text"], "moon* lunar") >= 0  # seen from the moon, the planet is home
    if earth:
        n = _noise(rng, x1 - x0, y1 - y0, 5, 4)
        land = np.clip((n - 0.5) * 8, 0, 1)[..., None]
        cloud = np.clip((_noise(rng, x1 - x0, y1 - y0, 8, 3) - 0.52) * 6, 0, 1)[..., None]
        surf = np.array((40, 90, 170), np.float32) / 255 * (1 - land) + np.array((90, 140, 80), np.float32) / 255 * land
        surf = surf * (1 - cloud) + cloud * 0.95
    else:
        bands = 0.5 + 0.5 * np.sin(ny * rng.uniform(9, 16) + np.sin(nx * 3 + rng.uniform(0, 6)) * 0.8)
        c1 = np.array(_mix(L["lo"][2], (210, 150, 110), 0.4), np.float32) / 255
        c2 = np.array(_mix(L["lo"][3], (240, 220, 190), 0.4), np.float32) / 255
        surf = c1 * (1 - bands[..., None]) + c2 * bands[..., None]
    col = surf * (0.06 + 0.94 * lam[..., None])
    atm = np.clip(1 - np.abs(np.sqrt(rr) - 1) * 18, 0, 1) * np.clip(nx * lx + ny * ly + 0.4, 0, 1)
    region = sky[y0:y1, x0:x1]
    region[:] = region * (1 - inside[..., None]) + col * inside[..., None]
    region += atm[..., None] * np.array((0.4, 0.6, 0.9), np.float32) * 0.5
    if not earth and rng.random() < 0.6:  # rings, in front below the equator and hidden behind the planet above it
        tilt = rng.uniform(0.18, 0.32)
        e = (nx / 1.55) ** 2 + (ny / (1.55 * tilt)) ** 2
        ring = np.clip(1 - np.abs(e - 1) * 9, 0, 1) * (0.4 + 0.6 * (np.sin(e * 40) > -0.3))
        ring = ring * np.where((ny < 0) & (rr < 1), 0.0, 1.0)
        rc = np.array(_mix(L["lo"][-1], (220, 200, 170), 0.5), np.float32) / 255
        region[:] = region * (1 - 0.8 * ring[..., None]) + rc * 0.8 * ring[..., None]


# --------------------------------------------------------------------------- the backdrop

def _stage(L, img, k) -> Stage:
    S = Stage(**{k_: v for k_, v in L.items() if k_ not in ("w", "h")})
    S.pen, S.img = Pen(img, k), img
    return S


def _scene(setting: str, mood: str, palette: Palette, seed: int, size) -> tuple[Image.Image, float]:
    """Backdrop at 2x `size`, and the y (in 1280-wide design units) where characters stand."""
    L = _look(setting, mood, palette, seed, size)
    w, h = L["w"], L["h"]
    img = _to_img(_sky(L)).resize((w * 2, h * 2), Image.Resampling.BILINEAR)
    S = _stage(L, img, 2 * w / L["W"])
    if S.weather == "storm" and S.family not in ("interior", "workshop"):
        _lightning(S)
    ground = FAMILIES[S.family](S)
    _weather_over(S)
    return img, ground


def _lightning(S):
    rng, pen = S.rng, S.pen
    x, y = rng.uniform(S.W * 0.15, S.W * 0.85), S.H * 0.05
    pts = [x, y]
    while y < S.hy:
        y += rng.uniform(18, 40)
        x += rng.uniform(-30, 30)
        pts += [x, y]
        if rng.random() < 0.2:
            bx, by = x, y
            branch = [bx, by]
            for _ in range(3):
                bx, by = bx + rng.uniform(-40, 40), by + rng.uniform(14, 30)
                branch += [bx, by]
            pen.line(branch, fill=(230, 236, 255, 160), width=2)
    S.glow(pts[0], S.H * 0.2, S.W * 0.45, (170, 180, 210), 0.55, ry=S.H * 0.35)
    for wdt, a in ((14, 40), (7, 90), (3, 255)):
        pen.line(pts, fill=(236, 240, 255, a), width=wdt)


def _weather_over(S):
    """Rain, snow, and a fog veil over everything already drawn; enchanted scenes get fireflies."""
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    indoor = S.family in ("interior", "workshop") or (S.family == "space")
    if indoor:
        return
    if S.wet:
        n = 520 if S.weather == "storm" else 320
        slant = S.wind_dir * (0.35 if S.weather == "storm" else 0.15)
        for _ in range(n):
            x, y, ln = rng.uniform(-80, W + 40), rng.uniform(-20, H), rng.uniform(14, 34)
            pen.line([x, y, x + ln * slant, y + ln], fill=(214, 222, 236, int(rng.integers(40, 90))), width=1)
        for _ in range(60):  # splashes on the ground
            x, y = rng.uniform(0, W), rng.uniform(H * 0.78, H)
            pen.arc((x - 5, y - 2, x + 5, y + 2), 180, 360, fill=(220, 228, 240, 90), width=1)
    if S.weather == "snow" or (S.family == "snow" and S.weather != "clear"):
        for _ in range(260):
            x, y = rng.uniform(0, W), rng.uniform(0, H)
            r = rng.uniform(0.8, 2.6) * (0.6 + y / H)
            pen.ell((x - r, y - r, x + r, y + r), fill=(255, 255, 255, int(rng.integers(150, 230))))
    if S.weather == "fog":  # a bank of fog over everything, thickest at the horizon; whole pixel rows, no bands
        k, d = pen.k, pen.d
        for py in range(0, int(H * k), 2):
            a = 0.3 * max(0.0, 1 - abs(py / k - S.hy) / (H * 0.55))
            if a > 0.004:
                d.rectangle((0, py, int(W * k) + 2, py + 1), fill=(*S.haze, int(round(255 * a))))
    if _find(S.text, "enchant* magic* fairy* fairies mystic* spell* firefl*") >= 0:
        for _ in range(60):
            x, y, r = rng.uniform(0, W), rng.uniform(H * 0.3, H * 0.9), rng.uniform(2, 4)
            for rr, a in ((r * 4, 30), (r, 230)):
                pen.ell((x - rr, y - rr, x + rr, y + rr), fill=(255, 236, 150, a))


# --------------------------------------------------------------------------- in front of the characters

def _foreground(setting: str, mood: str, palette: Palette, seed: int, size) -> Image.Image | None:
    """What stands in front of the characters, RGBA at 1x `size`: grass, reeds and flowers at the bottom edge,
    a rock, a railing or bollard, a branch, rain or snow near the lens, a window frame's edge. Mostly transparent,
    kept to the edges and the bottom ~15% of the frame so it never covers a face; None if nothing fits."""
    out = _fore_layer(setting, mood, palette, seed, size)
    w, h = out.size
    a = np.asarray(out.getchannel("A"))
    y0, y1, x0, x1 = (int(round(f * n)) for f, n in zip(fore._FACE, (h, h, w, w)))
    if a[y0:y1, x0:x1].any():  # belt and braces: nothing may reach the faces
        arr = np.asarray(out).copy()
        arr[y0:y1, x0:x1, 3] = 0
        out = Image.fromarray(arr)
    return out if a.any() else None


def _fore_layer(setting, mood, palette, seed, size) -> Image.Image:
    L = _look(setting, mood, palette, seed, size)
    w, h = L["w"], L["h"]
    L["rng"] = _rng("foreground", seed, setting, mood, tuple(L["cols"]))
    layer = Image.new("RGBA", (w * 2, h * 2), (*L["lo"][0], 0))
    S = _stage(L, layer, 2 * w / L["W"])
    fore.draw(S)
    return layer.convert("RGBa").reduce(2).convert("RGBA")  # premultiplied, so edges do not darken



def _finish_frame(img: Image.Image, tod_dark: bool) -> Image.Image:
    x = np.asarray(img, dtype=np.float32) / 255.0
    h, w = x.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
    return _to_img(x * (1 - (0.28 if tod_dark else 0.18) * r2)[..., None])

