#!/usr/bin/env python3
"""Layout checks of an HTML report as a real browser lays it out.

  html_layout.py inject REPORT.html PROBE.html   copy the report with a probe script appended
  html_layout.py check DOM.html                  read what the probe found (Chromium --dump-dom
                                                 of PROBE.html) and exit 1 naming each problem

The probe, run by the page after layout, records: the page's scroll width against the viewport
width and every scrolling box (a table too wide for the page, scrolled inside its wrapper)
against its own width, and every pair of text boxes that
overlap by more than 2 px both ways in HTML text (one box per line of each text node), or that
overlap or sit closer than 2 px side by side among the SVG <text> labels of a chart (each chart
on its own: labels that touch read as one word)."""
import html
import json
import re
import sys

PROBE = r"""<script>(function(){
function boxes(root, svg){
  var out=[], w=document.createTreeWalker(root, NodeFilter.SHOW_TEXT), n;
  while((n=w.nextNode())){
    var t=n.textContent.trim(), p=n.parentElement;
    if(!t||!p||p.closest('script,style,title')) continue;
    if(!svg&&p.closest('svg')) continue;
    var r=document.createRange(); r.selectNodeContents(n);
    var rs=r.getClientRects();
    for(var i=0;i<rs.length;i++){var b=rs[i];
      if(b.width>0&&b.height>0) out.push({x:b.left,y:b.top,r:b.right,b:b.bottom,t:t.slice(0,40)});}
  }
  return out;
}
function overlaps(bs, where, found, gap){
  bs.sort(function(a,b){return a.y-b.y});
  for(var i=0;i<bs.length;i++) for(var j=i+1;j<bs.length&&bs[j].y<bs[i].b;j++){
    var a=bs[i], c=bs[j];
    var ox=Math.min(a.r,c.r)-Math.max(a.x,c.x), oy=Math.min(a.b,c.b)-Math.max(a.y,c.y);
    if(ox>-gap&&oy>2&&found.length<20) found.push(where+': "'+a.t+'" / "'+c.t+'"');
  }
}
var found=[];
overlaps(boxes(document.body,false),'page',found,-2);
document.querySelectorAll('svg').forEach(function(s,k){
  var id=(s.parentElement&&s.parentElement.id)||('svg '+k);
  overlaps(boxes(s,true),id,found,2);
});
var de=document.documentElement, wide=[];
document.querySelectorAll('body *').forEach(function(e){
  if(e.closest('svg')) return;
  if(e.scrollWidth>e.clientWidth+1&&getComputedStyle(e).overflowX!=='visible'){
    var t=e.querySelector('table');
    wide.push((t&&t.id?t.id:e.tagName.toLowerCase())+' '+e.scrollWidth+' px in '+e.clientWidth+' px');}
});
document.body.setAttribute('data-layout', JSON.stringify({
  scroll_width: de.scrollWidth, viewport_width: de.clientWidth, overlaps: found, wide: wide,
  tables: document.querySelectorAll('table').length, charts: document.querySelectorAll('svg').length}));
})();</script>"""


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "inject":
        page = open(sys.argv[2], encoding="utf-8").read()
        at = page.rfind("</body>")
        if at < 0:
            print("no </body> in", sys.argv[2])
            return 1
        open(sys.argv[3], "w", encoding="utf-8").write(page[:at] + PROBE + page[at:])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        dom = open(sys.argv[2], encoding="utf-8").read()
        m = re.search(r'data-layout="([^"]*)"', dom)
        if not m:
            print("the probe did not run (no data-layout attribute in the DOM)")
            return 1
        got = json.loads(html.unescape(m.group(1)))
        bad = []
        if got["scroll_width"] > got["viewport_width"]:
            bad.append("page scrolls sideways: %d px wide in a %d px viewport"
                       % (got["scroll_width"], got["viewport_width"]))
        bad += ["scrolls sideways inside the page: " + w for w in got["wide"]]
        bad += ["overlapping text: " + o for o in got["overlaps"]]
        for b in bad:
            print(b)
        print("layout: %d px of %d, %d tables, %d charts, %d overlaps"
              % (got["scroll_width"], got["viewport_width"], got["tables"], got["charts"],
                 len(got["overlaps"])))
        return 1 if bad else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
