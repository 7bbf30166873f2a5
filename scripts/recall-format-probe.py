#!/usr/bin/env python3
"""Quick probe of recall prompt formats with `scope generate` (docs/recall.md, "Formats tried").
Usage: [SEED=1234] python3 scripts/recall-format-probe.py A,B,C,D,E,F,G,H,I EXAMPLES K MAX_TOKENS
Formats: A plain + demo with pool objects; B demo objects outside the pool; C numbered colours; D objects, no demo;
E objects, list shown twice; F numbered distinct object words; G numbered colours + demo; H numbered colours shown
twice; I chat template, numbered colours, answer started with "Item_1:" (the chosen format).
Scoring: the first line labelled Item_i must end with item i's value (and name its object for A, B, D, E)."""
import json, os, subprocess, sys, random, re, time
SCOPE=os.environ.get("SCOPE",".build/release/scope")
OBJ=["lamp","cup","door","book","chair","coat","hat","box","car","bag","pen","bike","ball","key","ring","shoe","desk","bed","boat","kite","fan","bell","jar","rug","sock","vase","drum","tent","fork","bowl","clock","spoon","plate","shirt","phone","bottle","brush","glove","sofa","mask"]
COL=["red","blue","green","black","white","pink"]
def make(fmt, k, rng):
    objs=rng.sample(OBJ,k); vals=[rng.choice(COL) for _ in range(k)]
    return fmt(objs,vals), objs, vals
def score(pred, first, objs, vals, need_obj):
    text=first+pred
    segs=re.split(r'(Item_\d+)', text)
    found={}
    cur=1; 
    # text starts inside item1
    pieces=[(1,segs[0])]
    for i in range(1,len(segs),2):
        pieces.append((int(segs[i][5:]), segs[i+1] if i+1<len(segs) else ""))
    for n,s in pieces:
        if n in found: continue
        found[n]=s
    ok=0
    for i,(o,v) in enumerate(zip(objs,vals)):
        s=found.get(i+1)
        if s is None: continue
        line=s.split("\n")[0]
        words=re.findall(r"[a-z]+", line.lower())
        if need_obj and o not in words: continue
        if words and words[-1]==v: ok+=1
    return ok
PROMPT_FILE=os.environ.get("TMPDIR","/tmp")+"/recall-probe-prompt.txt"
def run(prompt, maxtok, extra=[]):
    open(PROMPT_FILE,"w").write(prompt)
    out=subprocess.run([SCOPE,"generate","--prompt-file",PROMPT_FILE,"--max-tokens",str(maxtok),"--json"]+extra,capture_output=True,text=True)
    return json.loads(out.stdout)
DEMO_OBJ=["apple","tree","house"]  # not in pool
def lines(objs,vals,style):
    if style=="obj": return [f"Item_{i+1}: the {o} is {v}" for i,(o,v) in enumerate(zip(objs,vals))]
    if style=="num": return [f"Item_{i+1}: {v}" for i,v in enumerate(vals)]
    if style=="objshort": return [f"Item_{i+1}: {o} {v}" for i,(o,v) in enumerate(zip(objs,vals))]
def F_A(objs,vals):  # current builder format
    demo=lines(["cup","pen","hat"],["red","blue","white"],"obj")
    d="\n".join(demo)
    p=f"A list, then the same list copied exactly.\nList:\n{d}\nCopy:\n{d}\n\nList:\n"+"\n".join(lines(objs,vals,"obj"))+f"\nCopy:\nItem_1: the {objs[0]} is"
    return p, f": the {objs[0]} is"
def F_B(objs,vals):  # demo outside pool
    d="\n".join(lines(DEMO_OBJ,["red","blue","white"],"obj"))
    p=f"A list, then the same list copied exactly.\nList:\n{d}\nCopy:\n{d}\n\nList:\n"+"\n".join(lines(objs,vals,"obj"))+f"\nCopy:\nItem_1: the {objs[0]} is"
    return p, f": the {objs[0]} is"
def F_C(objs,vals):  # numbered only, no demo
    p="A list, then the same list copied exactly.\nList:\n"+"\n".join(lines(objs,vals,"num"))+"\nCopy:\nItem_1:"
    return p, ":"
def F_D(objs,vals):  # no demo, objects, plain
    p="A list, then the same list copied exactly.\nList:\n"+"\n".join(lines(objs,vals,"obj"))+f"\nCopy:\nItem_1: the {objs[0]} is"
    return p, f": the {objs[0]} is"
def F_E(objs,vals):  # list repeated twice, then copy
    L="\n".join(lines(objs,vals,"obj"))
    p=f"List:\n{L}\nCopy:\n{L}\nCopy:\nItem_1: the {objs[0]} is"
    return p, f": the {objs[0]} is"
FMTS={"A":(F_A,True),"B":(F_B,True),"C":(F_C,False),"D":(F_D,True),"E":(F_E,True)}

def F_F(objs,vals):  # numbered, distinct object values
    p="A list, then the same list copied exactly.\nList:\n"+"\n".join(f"Item_{i+1}: {o}" for i,o in enumerate(objs))+"\nCopy:\nItem_1:"
    return p, ":"
def F_G(objs,vals):  # numbered colours, demo
    d="\n".join(f"Item_{i+1}: {v}" for i,v in enumerate(["orange","gray","purple"]))
    p=f"A list, then the same list copied exactly.\nList:\n{d}\nCopy:\n{d}\n\nList:\n"+"\n".join(lines(objs,vals,"num"))+"\nCopy:\nItem_1:"
    return p, ":"
FMTS.update({"F":(F_F,True),"G":(F_G,False)})

def F_H(objs,vals):  # numbered colours, list shown twice
    L="\n".join(lines(objs,vals,"num"))
    p=f"A list, then the same list copied exactly, twice.\nList:\n{L}\nCopy:\n{L}\nCopy:\nItem_1:"
    return p, ":"
def F_I(objs,vals):  # chat template, numbered colours
    L="\n".join(lines(objs,vals,"num"))
    p=("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
       f"<|im_start|>user\nHere is a list:\n{L}\nWrite the same list again, exactly.<|im_end|>\n<|im_start|>assistant\nItem_1:")
    return p, ":"
FMTS.update({"H":(F_H,False),"I":(F_I,False)})
if __name__=="__main__":
    names=sys.argv[1].split(","); n=int(sys.argv[2]); k=int(sys.argv[3]); maxtok=int(sys.argv[4])
    for name in names:
        f,need=FMTS[name]; rng=random.Random(int(__import__("os").environ.get("SEED","1234"))); tot=0; res=[]
        t0=time.time()
        for e in range(n):
            objs=rng.sample(OBJ,k); vals=[rng.choice(COL) for _ in range(k)]
            p,first=f(objs,vals)
            r=run(p,maxtok)
            s=score(r['text'],first,objs,objs if name in 'F' else vals,need); res.append(s); tot+=s
            
        print(name, res, f"{100*tot/(n*k):.1f}%", f"{time.time()-t0:.0f}s", flush=True)
