import json, yaml, sys
from pathlib import Path
from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows
from emoexp.data.schema import Row, rows_to_dataset, provenance_of
from emoexp.data.taxonomy import load_mapping, load_taxonomy
from emoexp.filters import FilterContext, apply_filters, score_rows, decide
from emoexp.filters.config import FilterConfig
EMO11=load_taxonomy("emo11")
POSTS=yaml.safe_load(Path("tests/data/multilingual_posts.yaml").read_text())
corpus=load_corpus(DataConfig(),"/work/shared/datasets")
splits,_=map_corpus(corpus.splits, load_mapping("goemotions","emo11"), EMO11)
seed=sample_rows(splits["train"].select(range(20000)),3000,0)
rows=[]
for lang,posts in POSTS.items():
    for lab,t in posts.items():
        rows.append(Row(id=f"{lang}-{lab}",text=t,labels=[lab],multi_hot=EMO11.multi_hot([lab]),taxonomy="emo11",language=lang,source="synthetic",provenance={"s":"t"}))
ds=rows_to_dataset(rows)
cfg=FilterConfig()
scores=score_rows(cfg, ds, FilterContext(taxonomy=EMO11, seed=seed, reference={}))
import pickle; pickle.dump(scores, open("/tmp/diag_scores.pkl","wb"))
out=decide(cfg, ds, scores)
for r in out.rejected:
    p=provenance_of(r); d=p["filter_decision"]
    print(r["id"], d["rejected_by"], d["reason"], p["filters"]["label_consistency"]["score"])
print(json.dumps({k:v["kept"] for k,v in out.report["per_language"].items()}))
lc=[m.score for m in scores.measurements["label_consistency"]]
import numpy as np
ids=[r.id for r in rows]
for lang in POSTS:
    print(lang, np.round([s for i,s in zip(ids,lc) if i.startswith(lang+"-")],2))
