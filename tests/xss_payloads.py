"""Known stored-XSS payloads for tests/test_stored_xss.py, each trying to run ``__xss=1``.

Forty vectors (script tags, event handlers, ``javascript:`` and ``data:`` URLs, SVG and
MathML, malformed and nested tags, entity- and case-encoded spellings, breakouts of
attributes, ``</script>`` and ``</title>``, template syntax), each in five spellings:
as is, upper case, and after a double-quote, single-quote and JSON-string breakout.
Two hundred payloads. Whatever runs sets ``window.__xss``, which the browser test reads.
"""

VECTORS = [
    "<script>__xss=1</script>",
    "<script src=data:text/javascript,__xss=1></script>",
    "<img src=x onerror=__xss=1>",
    '<img src="x" onerror="&#95;&#95;xss=1">',
    "<img src=x onerror=\\u005f_xss=1>",
    "<svg onload=__xss=1>",
    "<svg><script>__xss=1</script></svg>",
    "<svg><animate onbegin=__xss=1 attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:__xss=1"><text x=20 y=20>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss=1>",
    '<math href="javascript:__xss=1">x</math>',
    '<a href="javascript:__xss=1">x</a>',
    '<a href=" javascript:__xss=1">x</a>',
    '<a href="&#106;avascript:__xss=1">x</a>',
    '<a href="java&#x09;script:__xss=1">x</a>',
    '<a href="data:text/html,<script>__xss=1</script>">x</a>',
    '<iframe src="javascript:__xss=1"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<body onload=__xss=1>",
    "<input autofocus onfocus=__xss=1>",
    "<details open ontoggle=__xss=1>",
    "<video><source onerror=__xss=1></video>",
    '<object data="javascript:__xss=1"></object>',
    '<embed src="data:text/html,<script>parent.__xss=1</script>">',
    '<form action="javascript:__xss=1"><button>x</button></form>',
    '<button formaction="javascript:__xss=1">x</button>',
    '<base href="javascript:__xss=1//">',
    '<meta http-equiv="refresh" content="0;url=javascript:__xss=1">',
    '<div style="background:url(javascript:__xss=1)">x</div>',
    "</title><script>__xss=1</script>",
    "</script><script>__xss=1</script>",
    "</textarea><script>__xss=1</script>",
    "--><script>__xss=1</script><!--",
    "<scr<script>ipt>__xss=1</scr</script>ipt>",
    "<<img src=x onerror=__xss=1>>",
    "<img src=x onerror=__xss=1 ",
    '<noscript><p title="</noscript><img src=x onerror=__xss=1>">',
    "&lt;script&gt;__xss=1&lt;/script&gt;",
    "{{ 7340000|add:33 }}{% now 'Y' %}<img src=x onerror=__xss=1>",
    "${__xss=1}#{__xss=1}<marquee onstart=__xss=1>",
]

SPELLINGS = [
    lambda vector: vector,
    lambda vector: vector.upper().replace("__XSS", "__xss"),
    lambda vector: f'">{vector}',
    lambda vector: f"'>{vector}",
    lambda vector: f'"}}]</script>{vector}',
]

PAYLOADS = [spelling(vector) for vector in VECTORS for spelling in SPELLINGS]
assert len(PAYLOADS) == len(set(PAYLOADS)) == 200

# What template syntax would make if a page evaluated a payload as a template.
TEMPLATE_RESULT = "7340033"
