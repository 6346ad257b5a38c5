"""The pages' edge: each function opens one unit of work, calls services and returns plain values.

ARCHITECTURE.md: services never commit; the edge (an event handler, an API endpoint, a job)
opens the unit of work. A page's handler runs these synchronous functions with
`asyncio.to_thread`, so the event loop never waits on the database, and gets frozen
dataclasses back: no ORM object and no session ever lives in a state.

One signature style: the viewer (or the one input a signed-out page has, such as a token)
first, everything else keyword-only: `gallery.detail(viewer, generation_id=...)`.
"""
