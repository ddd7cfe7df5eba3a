"""Driving a page by the keyboard alone, as a person who uses no mouse does: Tab (or Shift+Tab) until the wanted
control has the focus, checking on the way that every focused element shows where the focus is, then Enter, Space
or typing. Nothing is clicked and no element is found by selector to act on it."""

from __future__ import annotations

from typing import Any

# What the focused element is and whether its focus shows: a visible outline (style not none, width not 0) or a
# box-shadow, as the browser computes them while it has the focus.
FOCUS_STATE = """([css, text]) => {
  const el = document.activeElement;
  if (!el || el === document.body) { return {matches: false, visible: true, what: "body"}; }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const label = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\\s+/g, " ");
  return {matches: el.matches(css) && label.includes(text), visible: outline || shadow,
          what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " “" + label.slice(0, 60) + "”"};
}"""

MAX_STEPS = 400


def focused(page: Any, css: str = "*", text: str = "") -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(FOCUS_STATE, [css, text])
    return state


def tab_to(page: Any, css: str, text: str = "", *, backwards: bool = False) -> list[str]:
    """Press Tab (Shift+Tab) until the focused element matches `css` and shows `text`; every element focused on
    the way must show its focus. Returns what was focused, in order (to read the focus order)."""
    seen = []
    for _ in range(MAX_STEPS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = focused(page, css, text)
        seen.append(state["what"])
        assert state["visible"], f"the focus does not show on {state['what']} (after {seen[-5:]})"
        if state["matches"]:
            return seen
    raise AssertionError(f"{css} “{text}” never got the focus by keyboard; the last focused: {seen[-10:]}")


def wait_for_fragment_focus(page: Any) -> None:
    """A page opened at #main (the skip link's target kept on the address through a form's redirect) is loaded
    and the browser has moved the focus to <main>. The browser does that late in loading, after the page's text
    shows, so a Tab pressed before it would be undone: wait for it rather than race it."""
    page.wait_for_function(
        "() => document.readyState === 'complete' && document.activeElement && document.activeElement.id === 'main'"
    )


def skip_to_content(page: Any) -> None:
    """The first Tab on a page reaches the skip link, which moves the focus to the main content."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    first = focused(page, "a.skip-link")
    assert first["matches"], f"the first focusable element is {first['what']}, not the skip link"
    assert first["visible"]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
