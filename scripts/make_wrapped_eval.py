#!/usr/bin/env python3
"""Wrap a BEIR question set in realistic page context, as the browser extension would extract it.

Usage: scripts/make_wrapped_eval.py [--src DIR] [--out DIR]

Copies corpus.jsonl and qrels/test.tsv unchanged and rewrites queries.jsonl: each question is placed
on a page of the web app it is about (detected from words in the question; a generic help forum
otherwise; out-of-domain COVID questions on a public-health or health-news page), between 60-200 words
of navigation noise (menus, sidebars, footers) drawn from per-site templates. Metadata becomes
{"title", "url", **original metadata}. Output is deterministic: one random.Random per query id.
"""

import argparse
import json
import random
import re
import shutil
import string
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]


class Site(NamedTuple):
    brand: str         # regex: the app is named in the question (earliest mention wins)
    hint: str          # regex: the app's vocabulary, used only when no app is named
    titles: list[str]  # browser tab titles; templates filled from `fill` in wrap()
    urls: list[str]
    head: list[str]    # navigation shown before the question (menus, toolbars, sidebars)
    foot: list[str]    # navigation shown after it (panels, footers)


USERS = ["dkowalski", "maria.l", "tom_h", "priya88", "jonas.w", "ana-s", "chen.li", "oskar", "fatima_r", "ben.k"]
DOCS = ["Q3 planning notes", "Team budget 2024", "Onboarding checklist", "Project tracker", "Meeting minutes"]
# How the question appears on the page: typed into a help search, posted, or read in a thread.
FRAMES = ["Search help\n{q}", "Ask the community\n{q}\nPost question  Cancel",
          "{q}\nAsked by {user} · {a} answers · Follow", "Help\nDescribe your issue: {q}\nSubmit  Clear"]
SITES = [
    Site(r"google (sheets?|spreadsheets?)|gsheets?", r"spreadsheet|\bsheets?\b|\bcells?\b|formula",
         ["{doc} - Google Sheets"], ["https://docs.google.com/spreadsheets/d/{id}/edit"],
         ["File Edit View Insert Format Data Tools Extensions Help", "Last edit was 3 minutes ago",
          "Share  Comments  Meet", "100%  $  %  .0  .00  123  Default (Arial)  10  B I S A", "fx  A1"],
         ["Sheet1  Sheet2  + All sheets", "Explore", "Sum: 0  Average: 0  Count: 0"]),
    Site(r"google docs?|\bgdocs?\b|\bgd\b", r"\bdocuments?\b|\bdocs?\b",
         ["{doc} - Google Docs"], ["https://docs.google.com/document/d/{id}/edit"],
         ["File Edit View Insert Format Tools Extensions Help", "Share  Editing  Comments  Meet",
          "Normal text  Arial  11  B I U A  Link  Comment  Image  Align  Checklist  Bullets",
          "Document outline  Summary  Headings you add to the document will appear here"],
         ["Page 1 of 3  Word count", "Explore  Version history  Suggesting  Viewing"]),
    Site(r"gmail|google mail", r"\be?-?mails?\b|\binbox\b|\blabels?\b|\bspam\b",
         ["Inbox ({n}) - {user}@gmail.com - Gmail", "Help - Gmail"], ["https://mail.google.com/mail/u/0/"],
         ["Main menu  Gmail  Search mail  Show search options  Support  Settings  Google apps",
          "Compose  Inbox {n}  Starred  Snoozed  Sent  Drafts  More", "Labels +  Work  Receipts  Travel",
          "Primary  Promotions  Social  Updates", "1-50 of 2,431  Older  Newer"],
         ["{k}% of 15 GB used  Terms · Privacy · Program Policies", "Calendar  Keep  Tasks  Contacts  Get add-ons",
          "Last account activity: 12 minutes ago  Details"]),
    Site(r"google calendar|gcal", r"calendar|\bevents?\b", ["Google Calendar - Week of March 4, 2024"],
         ["https://calendar.google.com/calendar/u/0/r/week"],
         ["Main drawer  Calendar  Today  <  >  March 2024  Week  Search  Support  Settings",
          "Create  Search for people  My calendars  Birthdays  Tasks  Other calendars +"],
         ["Mon 4  Tue 5  Wed 6  Thu 7  Fri 8  GMT+01", "Terms - Privacy"]),
    Site(r"google drive|gdrive", r"\bdrive\b", ["My Drive - Google Drive"], ["https://drive.google.com/drive/my-drive"],
         ["Drive  Search in Drive  Ready for offline  Support  Settings", "New  My Drive  Computers  Shared with me",
          "Recent  Starred  Spam  Trash  Storage", "Type  People  Modified  Name  Owner  Last modified  File size"],
         ["{k}% of 15 GB used  Get more storage", "Details  Activity"]),
    Site(r"github|\bgist", r"\bgit\b|\brepo|markdown|pull request", ["Issues · {user}/webapp", "GitHub"],
         ["https://github.com/{user}/webapp/issues/{n}"],
         ["Skip to content  Product  Solutions  Open Source  Pricing  Search or jump to...  Sign in  Sign up",
          "Code  Issues {n}  Pull requests  Actions  Projects  Wiki  Security  Insights", "Watch 12  Fork 4  Star 57"],
         ["Assignees No one  Labels question  Projects None yet  Milestone No milestone",
          "© 2024 GitHub, Inc.  Terms  Privacy  Security  Status  Docs  Contact  Manage cookies"]),
    Site(r"dropbox", r"$^", ["Files - Dropbox"], ["https://www.dropbox.com/home"],
         ["Dropbox  Search  Upgrade  Home  All files  Photos  Shared  File requests  Deleted files",
          "Create  Upload  Get the app  Transfer  Name  Who can access  Modified"],
         ["Privacy  Help  Cookies & CCPA preferences", "Storage {k}% used"]),
    Site(r"vimeo", r"$^", ["Videos - Vimeo"], ["https://vimeo.com/manage/videos"],
         ["Vimeo  Features  Solutions  Resources  Watch  Pricing  Search videos, people, and more", "New video  Library"],
         ["Help center  Terms  Privacy  Cookies  © 2024 Vimeo.com, Inc."]),
    Site(r"youtube|\byt\b", r"videos?|subtitles|playlists?", ["YouTube", "({n}) YouTube"],
         ["https://www.youtube.com/watch"], ["Skip navigation  Search  Create  Notifications",
          "Home  Shorts  Subscriptions  You  History  Playlists  Watch later  Liked videos",
          "Like  Dislike  Share  Download  Clip  Save", "Comments {n}  Sort by  Add a comment..."],
         ["About  Press  Copyright  Contact us  Creators  Advertise  Developers  Terms  Privacy  Policy & Safety",
          "Up next  Autoplay  All  From your search  Related  Recently uploaded"]),
    Site(r"facebook|\bfb\b", r"\bfriends?\b|timeline", ["({n}) Facebook"], ["https://www.facebook.com/"],
         ["Search Facebook  Home  Friends  Watch  Marketplace  Groups  Menu  Messenger  Notifications",
          "Find friends  Memories  Saved  Groups  Video  Events  Feeds  See more  Your shortcuts"],
         ["Privacy · Terms · Advertising · Ad choices · Cookies · More · Meta © 2024", "Contacts  Group chats  Birthdays"]),
    Site(r"twitter|tweet", r"\bhashtags?\b|followers", ["Home / X", "Notifications / X"], ["https://x.com/home"],
         ["Home  Explore  Notifications  Messages  Lists  Bookmarks  Communities  Premium  Profile  More  Post",
          "For you  Following  What is happening?!"],
         ["Search  Subscribe to Premium  What's happening  Who to follow  Show more",
          "Terms of Service  Privacy Policy  Cookie Policy  Accessibility  Ads info  More  © 2024 X Corp."]),
    Site(r"trello", r"\bcards?\b|\bboards?\b", ["Product roadmap | Trello"], ["https://trello.com/b/{id}/product-roadmap"],
         ["Trello  Workspaces  Recent  Starred  Templates  Create  Search", "Board  Table  Calendar  Filters  Share",
          "Backlog  Add a card  To do  Doing  Done  + Add another list"], ["Power-Ups  Automation  Show menu  Activity"]),
    Site(r"google maps", r"\bmaps?\b|directions|\broutes?\b", ["Google Maps"], ["https://www.google.com/maps/place"],
         ["Menu  Search Google Maps  Directions  Restaurants  Hotels  Things to do  Transit  Parking",
          "Saved  Recents  Get app"], ["Layers  Map data ©2024 Google  Terms  Privacy  Send feedback  500 m"]),
]
GENERIC = Site("", "", ["{q} - Web Apps Help Forum", "Community Q&A - Web Apps"], ["https://help.webapps-forum.net/t/{n}"],
               ["Skip to main content  Home  Categories  Latest  Top  Search  Log in  Sign up",
                "Tags: web-apps  how-to  settings  accounts", "Related questions  Hot topics  Unanswered"],
               ["Share  Improve this question  Follow  Flag", "Community guidelines  About  Contact  Privacy  Terms"])
HEALTH = Site("", "", ["Coronavirus (COVID-19): questions and answers | Public Health Agency",
                       "COVID-19 live updates - City Herald"],
              ["https://www.publichealth-agency.org/covid-19/faq", "https://www.cityherald-news.com/health/coronavirus-live"],
              ["Skip to content  Health A-Z  Live well  Mental health  Care and support  Emergencies  Search",
               "Coronavirus (COVID-19)  Symptoms  Testing  Vaccination  Travel  Latest guidance",
               "News  World  Local  Business  Health  Science  Opinion  Subscribe  Sign in"],
              ["Was this page helpful? Yes  No", "Page last reviewed: 14 March 2024  Next review due: 14 June 2024",
               "Contact us  Accessibility  Cookies  Privacy  Terms and conditions", "Most read  Newsletters  Podcasts"])
# Chrome any page can carry (banners, pickers, side panels); placed before or after the question at random.
COMMON = ["We use cookies to improve your experience. Accept all  Reject all  Manage preferences",
          "Was this helpful? Send feedback  Report a problem", "English (US)  Deutsch  Español  Français  Help  Keyboard shortcuts",
          "Loading...  Dismiss  Learn more  Got it", "Recently viewed  Suggested for you  Show all  Hide",
          "Sign in to sync your settings across devices  Continue  Not now", "Status: all systems operational  Release notes  Blog",
          "New! A faster, cleaner look is rolling out to everyone this month. Try it now  Remind me later  Give feedback",
          "Notifications  {user} mentioned you in a comment  2h  Your weekly summary is ready  1d  Mark all as read",
          "Keyboard shortcuts are available. Press ? to see the full list  Turn off",
          "Upgrade to Business for more storage, admin controls and priority support  Compare plans  Start free trial",
          "Apps  Account  Search  Maps  News  Photos  Meet  Chat  Contacts  Translate  More from Google",
          "Your session will expire in 5 minutes due to inactivity. Stay signed in  Sign out"]


def pick_site(question: str, out_of_domain: bool) -> Site:
    """The app named earliest in the question; else the first whose vocabulary matches; else a help forum."""
    if out_of_domain:
        return HEALTH
    q = question.lower()
    named = [(m.start(), i) for i, s in enumerate(SITES) if (m := re.search(s.brand, q))]
    if named:
        return SITES[min(named)[1]]
    return next((s for s in SITES if re.search(s.hint, q)), GENERIC)


def noise(rng: random.Random, site: Site) -> tuple[list[str], list[str]]:
    """Fragments to show before/after the question: picked in random order up to a random 60-200 word
    budget, then shown in template order (menus first) as on the real page."""
    pool = [(0, i, f) for i, f in enumerate(site.head)] + [(2, i, f) for i, f in enumerate(site.foot)]
    pool += [(rng.choice((1, 3)), i, f) for i, f in enumerate(COMMON)]  # 1: after head, 3: after foot
    target, words, chosen = rng.randint(60, 200), 0, []
    for item in rng.sample(pool, len(pool)):
        size = len(item[2].split())
        if words >= target:
            break
        if words + size <= 200:
            chosen.append(item)
            words += size
    chosen.sort()
    return [f for side, _, f in chosen if side < 2], [f for side, _, f in chosen if side >= 2]


def wrap(query: dict) -> dict:
    """One query as the page around it: text = head noise, the framed question, foot noise."""
    rng = random.Random(query["_id"])
    meta = query.get("metadata", {})
    site = pick_site(query["text"], bool(meta.get("out_of_domain")))
    fill = {"q": query["text"].strip().rstrip("?."), "user": rng.choice(USERS), "n": rng.randint(2, 480),
            "a": rng.randint(0, 12), "k": rng.randint(3, 97),
            "doc": rng.choice(DOCS), "id": "".join(rng.choices(string.ascii_letters + string.digits, k=8))}
    before, after = noise(rng, site)
    frame = rng.choice(FRAMES).format(**{**fill, "q": query["text"].strip()})
    text = "\n".join([*(f.format(**fill) for f in before), frame, *(f.format(**fill) for f in after)])
    i = rng.randrange(len(site.titles))  # titles and urls pair up by index when a site has several
    title, url = site.titles[i].format(**fill), site.urls[i % len(site.urls)].format(**fill)
    return {"_id": query["_id"], "text": text, "metadata": {"title": title, "url": url, **meta}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=ROOT.parent / "shared/eval/stackfaq-dev", help="BEIR dataset folder")
    ap.add_argument("--out", type=Path, default=ROOT / "eval/stackfaq-wrapped", help="output folder")
    args = ap.parse_args()
    (args.out / "qrels").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.src / "corpus.jsonl", args.out / "corpus.jsonl")
    shutil.copyfile(args.src / "qrels/test.tsv", args.out / "qrels/test.tsv")
    count = 0
    with open(args.src / "queries.jsonl", encoding="utf-8") as src, \
            open(args.out / "queries.jsonl", "w", encoding="utf-8") as out:
        for line in filter(str.strip, src):
            out.write(json.dumps(wrap(json.loads(line)), ensure_ascii=False) + "\n")
            count += 1
    print(f"wrote {count} queries to {args.out}")


if __name__ == "__main__":
    main()
