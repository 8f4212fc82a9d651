"""A new user's first minutes, in a real browser against the real built app."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot

PAGES = {
    "login": "/login",
    "register": "/register",
    "home": "/",
    "profile": "/profile",
    "admin-users": "/admin/users",
    "admin-audit": "/admin/audit",
    "admin-settings": "/admin/settings",
}


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-email").locator("input").fill(email)
    page.get_by_test_id("login-password").locator("input").fill(password)
    page.get_by_test_id("login-submit").click()


def sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("page-login")).to_be_visible()


def fill(page: Page, testid: str, value: str) -> None:
    page.get_by_test_id(testid).locator("input").fill(value)


def test_register_language_and_dark_mode(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_test_id("register-link").click()
    expect(page.get_by_test_id("page-register")).to_be_visible()
    fill(page, "register-email", "newcomer@example.com")
    fill(page, "register-name", "Newcomer")
    fill(page, "register-password", "newcomer pass")
    fill(page, "register-confirm", "newcomer pass")
    page.get_by_test_id("register-submit").click()
    expect(page.get_by_test_id("page-home")).to_be_visible()

    page.get_by_test_id("lang-switch").click()
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Newcomer")
    page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))

    page.reload()  # both choices are remembered, and the session survives a reload
    expect(page.get_by_test_id("page-home")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    expect(page.get_by_test_id("nav-admin-users")).to_have_count(0)


def test_admin_creates_and_disables_a_user_who_then_cannot_sign_in(page: Page) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-admin-users").click()
    expect(page.get_by_test_id("page-admin-users")).to_be_visible()

    page.get_by_test_id("users-create").click()
    fill(page, "user-form-email", "bob@example.com")
    fill(page, "user-form-name", "Bob")
    fill(page, "user-form-password", "bob password")
    page.get_by_test_id("user-form-submit").click()
    row = page.locator("tr", has=page.get_by_test_id("user-row-bob@example.com"))
    expect(row).to_be_visible()

    toggle = row.get_by_test_id("user-toggle-active")
    expect(toggle).to_have_class(re.compile(r"is-checked"))
    toggle.click()
    expect(toggle).not_to_have_class(re.compile(r"is-checked"))

    page.get_by_test_id("nav-admin-audit").click()
    expect(page.get_by_test_id("page-admin-audit")).to_contain_text("user.update")
    sign_out(page)

    sign_in(page, "bob@example.com", "bob password")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_test_id("page-login")).to_be_visible()
    expect(page.get_by_test_id("page-home")).to_have_count(0)


def test_screenshots_of_every_page_light_and_dark(page: Page) -> None:
    for theme in ("light", "dark"):
        page.goto("/login")
        page.evaluate(f"localStorage.setItem('llmforge.dark', '{str(theme == 'dark').lower()}')")
        for name in ("login", "register"):
            page.goto(PAGES[name])
            expect(page.get_by_test_id(f"page-{name}")).to_be_visible()
            screenshot(page, f"{name}-{theme}")
        sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
        expect(page.get_by_test_id("page-home")).to_be_visible()
        for name in ("home", "profile", "admin-users", "admin-audit", "admin-settings"):
            page.goto(PAGES[name])
            expect(page.get_by_test_id(f"page-{name}")).to_be_visible()
            dark = page.evaluate("document.documentElement.classList.contains('dark')")
            assert dark == (theme == "dark"), (name, theme)
            screenshot(page, f"{name}-{theme}")
        sign_out(page)


def test_narrow_screen_uses_a_drawer(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    expect(page.get_by_test_id("nav-admin-users")).to_be_hidden()
    page.get_by_test_id("nav-toggle").click()
    page.get_by_test_id("nav-admin-users").click()
    expect(page.get_by_test_id("page-admin-users")).to_be_visible()
    expect(page.get_by_test_id("nav-admin-users")).to_be_hidden()  # the drawer closed
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 375px screen"
    screenshot(page, "admin-users-375px")
