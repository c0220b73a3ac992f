#!/usr/bin/env python3
"""Writes the golden cases of internal/authz (testdata/cases/*.json).

Two kinds of cases:

* gen-*: the order of checks, enumerated. Their expected effects come from the small,
  independent model of DESIGN.md §5 in this file (yandex() and aws() below), not from the Go
  code, so that the Go engine is checked against a second reading of the rules.
* everything else: written out by hand below, each with its expectation stated literally;
  those taken from documentation say so in "source".

Run from internal/authz: python3 testdata/gen_cases.py (it rewrites testdata/cases).
"""
import itertools
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")
GEN = "hourglass: generated from the order of checks of DESIGN.md §5 (testdata/gen_cases.py)"
YC_OVERVIEW = "yandex: Object Storage, Access management methods: Overview (the algorithm of checks)"
YC_POLICY = "yandex: Object Storage, Bucket policy, sample configurations"
YC_STS = "yandex: Creating a temporary access key using Security Token Service (prefix-limited policy)"
YC_STS_NOTE = "yandex: Security Token Service note: object ACL is checked after the STS policy"
YC_ROLES = "yandex: Object Storage, Managing access with IAM (role descriptions)"
AWS_SESSION = "aws: IAM User Guide, Session policies (resource-based policy naming the session ARN)"

FOLDER = "fld1"
SA = "sa1"
SA_NAME = "alice"
BUCKET = "b"
KEY = "data/k.txt"
USER_ARN = f"arn:aws:iam::{FOLDER}:user/{SA_NAME}"
SESSION_ARN = f"arn:aws:sts::{FOLDER}:assumed-role/{SA_NAME}/s1"

cases = {}


def add(name, case):
    assert name not in cases, name
    case.setdefault("model", "yandex")
    cases[name] = case


def principal(kind, **kw):
    if kind == "anonymous":
        return {"type": "anonymous"}
    p = {"type": kind, "sa": SA, "name": SA_NAME, "folder": FOLDER}
    if kind == "temporary":
        p["session"] = "s1"
    p.update(kw)
    return p


def stmt(effect, action, resource, principal="*", sid=None, condition=None):
    s = {}
    if sid:
        s["Sid"] = sid
    s.update({"Effect": effect, "Principal": principal, "Action": action, "Resource": resource})
    if condition:
        s["Condition"] = condition
    return s


def pol(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def sess(*stmts):
    out = []
    for s in stmts:
        s = dict(s)
        s.pop("Principal", None)
        out.append(s)
    return {"Version": "2012-10-17", "Statement": out}


def bucket(name=BUCKET, folder=FOLDER, policy=None, acl=None):
    b = {"name": name, "folder": folder}
    if policy is not None:
        b["policy"] = policy
    if acl is not None:
        b["acl"] = acl
    return b


def grant(grantee, perm):
    if grantee == "AllUsers":
        g = {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}
    elif grantee == "AuthenticatedUsers":
        g = {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}
    else:
        g = {"type": "CanonicalUser", "id": grantee}
    return {"grantee": g, "permission": perm}


def binding(role, subject=SA, scope="folder", id=FOLDER):
    return {"role": role, "subject": subject, "scope": scope, "id": id}


def req(action, resource, **kw):
    r = {"action": action, "resource": resource}
    r.update(kw)
    return r


OBJ = f"arn:aws:s3:::{BUCKET}/{KEY}"
BKT = f"arn:aws:s3:::{BUCKET}"

# ---------------------------------------------------------------- generated: yandex order

BP = {
    "none": None,
    "allow": pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", sid="AllowRead")),
    "nomatch": pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/other/*", sid="AllowOther")),
    "deny": pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", sid="AllowRead"),
                stmt("Deny", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/data/*", sid="DenyRead")),
}
SP = {
    "static": None,  # a static key
    "none": None,  # a temporary key without a session policy
    "allow": sess(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/data/*", sid="SessAllow")),
    "nomatch": sess(stmt("Allow", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/*", sid="SessPut")),
    "deny": sess(stmt("Allow", "*", "*", sid="SessAll"), stmt("Deny", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/data/*", sid="SessDeny")),
    "empty": {"Version": "2012-10-17", "Statement": []},
}
# How the request passes (or not) steps 1–2.
SRC = {
    "role": dict(bindings=[binding("storage.viewer")], acl=None),
    "bucketrole": dict(bindings=[binding("storage.viewer", scope="bucket", id=BUCKET)], acl=None),
    "bucketacl": dict(bindings=[], acl={"grants": [grant(SA, "READ")]}),
    "publicrole": dict(bindings=[binding("storage.viewer", subject="allUsers", scope="bucket", id=BUCKET)], acl=None),
    "authrole": dict(bindings=[binding("storage.viewer", subject="allAuthenticatedUsers")], acl=None),
    "publicacl": dict(bindings=[], acl={"canned": "public-read"}),
    "none": dict(bindings=[binding("storage.viewer", scope="bucket", id="otherbucket")], acl=None),
}
OACL = {
    "none": None,
    "sa": {"grants": [grant(SA, "READ")]},
    "all": {"grants": [grant("AllUsers", "READ")]},
    "other": {"grants": [grant("sa2", "FULL_CONTROL")]},
}
SRC_REASON = {"role": "IAM role", "bucketrole": "IAM role", "bucketacl": "bucket ACL grant",
              "publicrole": "public access", "authrole": "public access", "publicacl": "public access"}
SRC_BY = {"role": "roles", "bucketrole": "roles", "bucketacl": "bucket-acl",
          "publicrole": "public-access", "authrole": "public-access", "publicacl": "public-access"}
KEY_REASON = {"static": "static key", "none": "temporary key without a session policy",
              "allow": "session policy allows", "anonymous": "anonymous request"}


def yandex(key, src, bp, sp, oacl):
    """The Yandex order of DESIGN.md §5, read independently of the Go code. Returns
    (effect, by, reason substring)."""
    if bp == "deny":
        return "Deny", "bucket-policy", 'bucket policy statement 1 (Sid "DenyRead") denies s3:GetObject'
    if key == "temporary" and sp == "deny":
        return "Deny", "session-policy", 'session policy statement 1 (Sid "SessDeny") denies s3:GetObject'
    passes = src != "none" and not (key == "anonymous" and src in ("role", "bucketrole", "bucketacl", "authrole"))
    fall = "nogrant"
    if passes:
        if bp == "nomatch":
            fall = "bucketpolicy"
        elif key == "temporary" and sp in ("nomatch", "empty"):
            fall = "session"
        else:
            k = key if key != "temporary" else sp
            polpart = "bucket policy allows" if bp == "allow" else "no bucket policy"
            return "Allow", SRC_BY[src], f"allowed: {SRC_REASON[src]}, {polpart}, {KEY_REASON[k]}"
    # Step 5: the object ACL.
    if oacl == "all" or (oacl == "sa" and key != "anonymous"):
        return "Allow", "object-acl", "allowed: object ACL grant"
    return "Deny", "none", {
        "nogrant": "no role, ACL grant or public access allows s3:GetObject",
        "bucketpolicy": "has no statement allowing s3:GetObject",
        "session": "the session policy does not allow s3:GetObject",
    }[fall]


def gen_case(key, src, bp, sp, oacl, model="yandex"):
    spdoc = SP[sp] if key == "temporary" else None
    c = {
        "description": f"{model}: {key} key (session policy {sp if key == 'temporary' else 'n/a'}), access via {src}, bucket policy {bp}, object ACL {oacl}",
        "source": GEN,
        "model": model,
        "principal": principal(key),
        "bindings": SRC[src]["bindings"],
        "buckets": [bucket(policy=BP[bp], acl=SRC[src]["acl"])],
        "request": req("s3:GetObject", OBJ),
    }
    if spdoc is not None:
        c["session_policy"] = spdoc
    if OACL[oacl] is not None:
        c["object_acl"] = OACL[oacl]
    eff, by, reason = (yandex if model == "yandex" else aws)(key, src, bp, sp, oacl)
    c["want"] = {"effect": eff, "by": by, "reason": reason}
    return c


# The full order for a folder role: key kind × bucket policy × object ACL.
for key, sp in [("static", "static"), ("temporary", "none"), ("temporary", "allow"), ("temporary", "nomatch"),
                ("temporary", "deny"), ("temporary", "empty")]:
    for bp in BP:
        for oacl in ("none", "sa", "all"):
            add(f"gen-yandex-{key}-{sp}-role-bp_{bp}-oacl_{oacl}", gen_case(key, "role", bp, sp, oacl))

# Every way through steps 1–2 × bucket policy × a few key kinds, object ACL none or to the SA.
for src in ("bucketrole", "bucketacl", "publicrole", "authrole", "publicacl", "none"):
    for bp in BP:
        for key, sp in [("static", "static"), ("temporary", "allow"), ("temporary", "nomatch")]:
            for oacl in ("none", "sa"):
                if src == "none" and bp == "deny" and oacl == "sa":
                    continue
                add(f"gen-yandex-{key}-{sp}-{src}-bp_{bp}-oacl_{oacl}", gen_case(key, src, bp, sp, oacl))

# Anonymous requests.
for src in ("publicrole", "authrole", "publicacl", "role", "none"):
    for bp in ("none", "allow", "nomatch", "deny"):
        for oacl in ("none", "all", "sa"):
            if oacl != "none" and bp in ("allow", "deny"):
                continue
            add(f"gen-yandex-anonymous-{src}-bp_{bp}-oacl_{oacl}", gen_case("anonymous", src, bp, "static", oacl))

# Object ACL grants that do not match, or a foreign grantee: nothing falls through.
for key, sp in [("static", "static"), ("temporary", "nomatch")]:
    add(f"gen-yandex-{key}-{sp}-none-bp_none-oacl_other", gen_case(key, "none", "none", sp, "other"))

# ---------------------------------------------------------------- generated: aws model

AWS_SRC = {
    "role": dict(bindings=[binding("storage.viewer")], acl=None, policy=None),
    "bpstar": dict(bindings=[], acl=None, policy=pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", sid="AllowAll"))),
    "bpuser": dict(bindings=[], acl=None, policy=pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", principal={"AWS": USER_ARN}, sid="AllowUser"))),
    "bpsession": dict(bindings=[], acl=None, policy=pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", principal={"AWS": SESSION_ARN}, sid="AllowSession"))),
    "bucketacl": dict(bindings=[], acl={"grants": [grant(SA, "READ")]}, policy=None),
    "objacl": dict(bindings=[], acl=None, policy=None, oacl={"grants": [grant(SA, "READ")]}),
    "none": dict(bindings=[binding("storage.viewer", scope="bucket", id="otherbucket")], acl=None, policy=None),
}
AWS_BY = {"role": "roles", "bpstar": "bucket-policy", "bpuser": "bucket-policy", "bpsession": "bucket-policy",
          "objacl": "object-acl"}
AWS_REASON = {"role": "IAM role (identity side)", "bpstar": "bucket policy (resource side)",
              "bpuser": "bucket policy (resource side)", "bpsession": "bucket policy (resource side)",
              "objacl": "object ACL grant (resource side)"}


def aws(key, src, sp):
    """AWS within one account, read independently of the Go code."""
    if key == "temporary" and sp == "deny":
        return "Deny", "session-policy", "denies s3:GetObject"
    # No bucket-to-object inheritance of ACL grants in the aws model: a bucket READ grant lists.
    # The bucket policy naming the session ARN matches only the temporary key.
    grants = src in ("role", "bpstar", "bpuser", "objacl") or (src == "bpsession" and key == "temporary")
    if not grants:
        return "Deny", "none", "no role, bucket policy statement or ACL grant allows s3:GetObject"
    if key == "temporary" and sp in ("nomatch", "empty"):
        if src == "bpsession":
            return "Allow", "bucket-policy", "bucket policy names the session"
        return "Deny", "none", "the session policy does not allow s3:GetObject"
    k = key if key != "temporary" else sp
    return "Allow", AWS_BY[src], f"allowed: {AWS_REASON[src]}, {KEY_REASON[k]}"


for src, spec in AWS_SRC.items():
    for key, sp in [("static", "static"), ("temporary", "none"), ("temporary", "allow"), ("temporary", "nomatch"),
                    ("temporary", "deny"), ("temporary", "empty")]:
        c = {
            "description": f"aws: {key} key (session policy {sp if key == 'temporary' else 'n/a'}), grant via {src}",
            "source": GEN if src != "bpsession" else AWS_SESSION,
            "model": "aws",
            "principal": principal(key),
            "bindings": spec["bindings"],
            "buckets": [bucket(policy=spec["policy"], acl=spec["acl"])],
            "request": req("s3:GetObject", OBJ),
        }
        if key == "temporary" and SP[sp] is not None:
            c["session_policy"] = SP[sp]
        if spec.get("oacl"):
            c["object_acl"] = spec["oacl"]
        eff, by, reason = aws(key, src, sp)
        c["want"] = {"effect": eff, "by": by, "reason": reason}
        add(f"gen-aws-{key}-{sp}-{src}", c)

# ---------------------------------------------------------------- hand-written

def case(name, desc, source, want, *, model="yandex", p=None, bindings=(), buckets=None, session_policy=None,
         object_acl=None, request=None):
    c = {"description": desc, "source": source, "model": model, "principal": p or principal("static"),
         "bindings": list(bindings), "buckets": buckets if buckets is not None else [bucket()],
         "request": request or req("s3:GetObject", OBJ), "want": want}
    if session_policy is not None:
        c["session_policy"] = session_policy
    if object_acl is not None:
        c["object_acl"] = object_acl
    add(name, c)


def allow(reason, by=None):
    w = {"effect": "Allow", "reason": reason}
    if by:
        w["by"] = by
    return w


def deny(reason, by=None):
    w = {"effect": "Deny", "reason": reason}
    if by:
        w["by"] = by
    return w


# Roles: what each role may and may not do (Yandex role descriptions).
ROLE_MATRIX = [
    ("storage.viewer", "s3:GetObject", OBJ, True),
    ("storage.viewer", "s3:ListBucket", BKT, True),
    ("storage.viewer", "s3:GetBucketAcl", BKT, True),
    ("storage.viewer", "s3:GetBucketPolicy", BKT, False),
    ("storage.viewer", "s3:PutObject", OBJ, False),
    ("storage.viewer", "s3:DeleteObject", OBJ, False),
    ("storage.configViewer", "s3:GetObject", OBJ, False),
    ("storage.configViewer", "s3:ListBucket", BKT, True),
    ("storage.configViewer", "s3:GetBucketPolicy", BKT, True),
    ("storage.configViewer", "s3:GetObjectAcl", OBJ, True),
    ("storage.configViewer", "s3:PutBucketCORS", BKT, False),
    ("storage.uploader", "s3:PutObject", OBJ, True),
    ("storage.uploader", "s3:GetObject", OBJ, True),
    ("storage.uploader", "s3:DeleteObject", OBJ, False),
    ("storage.uploader", "s3:PutBucketVersioning", BKT, False),
    ("storage.configurer", "s3:PutBucketPolicy", BKT, True),
    ("storage.configurer", "s3:PutBucketCORS", BKT, True),
    ("storage.configurer", "s3:PutLifecycleConfiguration", BKT, True),
    ("storage.configurer", "s3:PutBucketWebsite", BKT, True),
    ("storage.configurer", "s3:PutBucketAcl", BKT, False),
    ("storage.configurer", "s3:PutBucketPublicAccessBlock", BKT, False),
    ("storage.configurer", "s3:GetObject", OBJ, False),
    ("storage.configurer", "s3:ListBucket", BKT, False),
    ("storage.editor", "s3:DeleteObject", OBJ, True),
    ("storage.editor", "s3:PutBucketVersioning", BKT, True),
    ("storage.editor", "s3:DeleteBucket", BKT, True),
    ("storage.editor", "s3:PutBucketAcl", BKT, False),
    ("storage.editor", "s3:PutObjectAcl", OBJ, False),
    ("storage.editor", "s3:PutBucketPolicy", BKT, False),
    ("storage.editor", "s3:BypassGovernanceRetention", OBJ, False),
    ("storage.admin", "s3:PutBucketAcl", BKT, True),
    ("storage.admin", "s3:PutObjectAcl", OBJ, True),
    ("storage.admin", "s3:PutBucketPolicy", BKT, True),
    ("storage.admin", "s3:BypassGovernanceRetention", OBJ, True),
]
for role, action, res, ok in ROLE_MATRIX:
    short = role.split(".")[1].lower()
    verb = "may" if ok else "may not"
    case(f"role-{short}-{action.split(':')[1].lower()}", f"{role} {verb} {action}", YC_ROLES,
         allow("allowed: IAM role, no bucket policy, static key", "roles") if ok else deny(f"no role, ACL grant or public access allows {action}", "none"),
         bindings=[binding(role)], request=req(action, res))

# The algorithm of Yandex's overview, each branch once with its own words.
case("doc-overview-iam-no-policy-static", "IAM passes, no bucket policy, a direct request: allowed", YC_OVERVIEW,
     allow("allowed: IAM role, no bucket policy, static key", "roles"), bindings=[binding("storage.viewer")])
case("doc-overview-public-access-no-policy", "IAM and bucket ACL fail, public access enabled, no policy: allowed", YC_OVERVIEW,
     allow("allowed: public access, no bucket policy, anonymous request", "public-access"), p=principal("anonymous"),
     bindings=[binding("storage.viewer", subject="allUsers", scope="bucket", id=BUCKET)])
case("doc-overview-no-public-object-acl", "public access disabled: the object ACL decides (it grants)", YC_OVERVIEW,
     allow("allowed: object ACL grant (no role, bucket ACL grant or public access)", "object-acl"), p=principal("anonymous"),
     object_acl={"canned": "public-read"})
case("doc-overview-no-public-no-object-acl", "public access disabled, the object ACL does not grant: denied", YC_OVERVIEW,
     deny("no role, ACL grant or public access allows s3:GetObject on b/data/k.txt, and no object ACL grant", "none"),
     p=principal("anonymous"), object_acl={"canned": "private"})
case("doc-overview-bucket-acl-passes", "the bucket ACL check alone passes step 1", YC_OVERVIEW,
     allow("allowed: bucket ACL grant, no bucket policy, static key", "bucket-acl"),
     buckets=[bucket(acl={"grants": [grant(SA, "FULL_CONTROL")]})])
case("doc-overview-sts-allow", "a temporary key whose policy has an Allow for the request: allowed", YC_OVERVIEW,
     allow("allowed: IAM role, no bucket policy, session policy allows", "roles"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], session_policy=SP["allow"])
case("doc-overview-sts-nomatch-object-acl", "a temporary key whose policy matches nothing falls through to the object ACL", YC_OVERVIEW,
     allow("allowed: object ACL grant (the session policy does not allow", "object-acl"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], session_policy=SP["nomatch"], object_acl={"grants": [grant(SA, "READ")]})
case("doc-overview-policy-nomatch-object-acl", "the bucket policy matches nothing: the object ACL decides", YC_OVERVIEW,
     allow("allowed: object ACL grant (the bucket policy allows nothing here)", "object-acl"),
     bindings=[binding("storage.editor")], buckets=[bucket(policy=BP["nomatch"])], object_acl={"grants": [grant(SA, "READ")]})

# Yandex's note on STS and object ACLs, and the safe reading of Deny.
case("doc-sts-object-acl-opens-object", "an object ACL grant to the SA opens the object to its temporary keys whatever their policy", YC_STS_NOTE,
     allow("allowed: object ACL grant", "object-acl"), p=principal("temporary"), bindings=[binding("storage.viewer")],
     session_policy=sess(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/public/*", sid="OnlyPublic")),
     object_acl={"grants": [grant(SA, "READ")]})
case("doc-sts-object-acl-empty-policy", "the object ACL fall-through also applies to a session policy without statements", YC_STS_NOTE,
     allow("allowed: object ACL grant", "object-acl"), p=principal("temporary"), bindings=[binding("storage.viewer")],
     session_policy=SP["empty"], object_acl={"grants": [grant(SA, "FULL_CONTROL")]})
case("doc-sts-object-acl-deny-wins", "an explicit session-policy Deny beats the object ACL fall-through (DESIGN.md: Deny is final)", YC_STS_NOTE,
     deny('session policy statement 1 (Sid "SessDeny") denies s3:GetObject', "session-policy"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], session_policy=SP["deny"], object_acl={"grants": [grant(SA, "READ")]})
case("doc-sts-object-acl-bucket-deny-wins", "an explicit bucket-policy Deny beats an object ACL grant", YC_OVERVIEW,
     deny('bucket policy statement 1 (Sid "DenyRead") denies', "bucket-policy"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=BP["deny"])], object_acl={"grants": [grant(SA, "READ")]})

# The STS tutorial: a session policy limited to a prefix.
PREFIX_POLICY = {"Version": "2012-10-17", "Statement": {"Sid": "all", "Effect": "Allow", "Principal": "*",
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::samplebucket/some/path/*"}}
SB = [bucket(name="samplebucket")]
case("doc-sts-prefix-inside", "temporary key limited to a prefix reads inside it", YC_STS,
     allow("allowed: IAM role, no bucket policy, session policy allows"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], buckets=SB, session_policy=PREFIX_POLICY,
     request=req("s3:GetObject", "arn:aws:s3:::samplebucket/some/path/file.txt"))
case("doc-sts-prefix-outside", "temporary key limited to a prefix cannot read outside it", YC_STS,
     deny("the session policy does not allow s3:GetObject on samplebucket/other/file.txt"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], buckets=SB, session_policy=PREFIX_POLICY,
     request=req("s3:GetObject", "arn:aws:s3:::samplebucket/other/file.txt"))
case("doc-sts-prefix-static-key-unlimited", "the SA's static key still reads outside the prefix", YC_STS,
     allow("allowed: IAM role, no bucket policy, static key"), bindings=[binding("storage.viewer")], buckets=SB,
     request=req("s3:GetObject", "arn:aws:s3:::samplebucket/other/file.txt"))
case("doc-sts-prefix-no-put", "the prefix policy allows no writes", YC_STS,
     deny("no role, ACL grant or public access allows s3:PutObject"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], buckets=SB, session_policy=PREFIX_POLICY,
     request=req("s3:PutObject", "arn:aws:s3:::samplebucket/some/path/file.txt"))
case("doc-sts-empty-policy-denies", "an access policy without rules denies access by the temporary key", YC_STS,
     deny("the session policy does not allow s3:GetObject"), p=principal("temporary"),
     bindings=[binding("storage.admin")], buckets=SB, session_policy={"Version": "2012-10-17", "Statement": []},
     request=req("s3:GetObject", "arn:aws:s3:::samplebucket/some/path/file.txt"))
case("doc-sts-policy-cannot-widen", "a session policy allowing what the SA may not do does not allow it", YC_STS,
     deny("no role, ACL grant or public access allows s3:PutObject"), p=principal("temporary"),
     bindings=[binding("storage.viewer")], buckets=SB,
     session_policy=sess(stmt("Allow", "*", "*", sid="Everything")),
     request=req("s3:PutObject", "arn:aws:s3:::samplebucket/some/path/file.txt"))
case("doc-sts-bucket-role-scope", "a role on the bucket is enough for temporary keys (the role may be on the bucket)", YC_STS,
     allow("allowed: IAM role, no bucket policy, temporary key without a session policy"), p=principal("temporary"),
     bindings=[binding("storage.viewer", scope="bucket", id="samplebucket")], buckets=SB,
     request=req("s3:GetObject", "arn:aws:s3:::samplebucket/x"))

# Bucket policy samples of the Yandex documentation.
SECURE = pol(dict(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", sid="f1qqoehl1q53l06kqurs",
                       condition={"Bool": {"aws:SecureTransport": "true"}})))
SECURE["Id"] = "epd4limdp3dgec7enpq5"
PUB = [binding("storage.viewer", subject="allUsers", scope="bucket", id=BUCKET)]
case("doc-policy-secure-anon-https", "anonymous read over TLS on a public bucket with the TLS-only policy", YC_POLICY,
     allow("allowed: public access, bucket policy allows, anonymous request"), p=principal("anonymous"), bindings=PUB,
     buckets=[bucket(policy=SECURE)], request=req("s3:GetObject", OBJ, secure_transport=True))
case("doc-policy-secure-anon-http", "anonymous read over plain HTTP: the policy has no Allow, the object has no ACL", YC_POLICY,
     deny("has no statement allowing s3:GetObject"), p=principal("anonymous"), bindings=PUB,
     buckets=[bucket(policy=SECURE)], request=req("s3:GetObject", OBJ, secure_transport=False))
case("doc-policy-secure-anon-not-public", "in the yandex order a bucket policy alone does not open a non-public bucket", YC_OVERVIEW,
     deny("no role, ACL grant or public access allows s3:GetObject"), p=principal("anonymous"),
     buckets=[bucket(policy=SECURE)], request=req("s3:GetObject", OBJ, secure_transport=True))
case("aws-policy-secure-anon-not-public", "in the aws model the same bucket policy alone opens the bucket", YC_POLICY,
     allow("allowed: bucket policy (resource side), anonymous request", "bucket-policy"), model="aws", p=principal("anonymous"),
     buckets=[bucket(policy=SECURE)], request=req("s3:GetObject", OBJ, secure_transport=True))

IPRANGE = pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", condition={"IpAddress": {"aws:SourceIp": "100.101.102.128/30"}}))
case("doc-policy-iprange-inside", "download from the allowed IP range", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=IPRANGE)], request=req("s3:GetObject", OBJ, source_ip="100.101.102.129"))
case("doc-policy-iprange-outside", "download from outside the allowed IP range", YC_POLICY,
     deny("has no statement allowing s3:GetObject"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=IPRANGE)], request=req("s3:GetObject", OBJ, source_ip="100.101.102.132"))
case("doc-policy-iprange-no-ip", "no source address: IpAddress does not match", YC_POLICY,
     deny("has no statement allowing s3:GetObject"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=IPRANGE)])

DENYIP = pol(stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*"),
             stmt("Deny", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", condition={"IpAddress": {"aws:SourceIp": "100.101.102.103"}}))
case("doc-policy-denyip-blocked", "download from the prohibited address", YC_POLICY,
     deny("bucket policy statement 1 denies s3:GetObject", "bucket-policy"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy=DENYIP)], request=req("s3:GetObject", OBJ, source_ip="100.101.102.103"))
case("doc-policy-denyip-other", "download from another address", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy=DENYIP)], request=req("s3:GetObject", OBJ, source_ip="100.101.102.104"))
case("doc-policy-denyip-put-allowed", "the Deny names only GetObject: uploads from that address pass", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy=DENYIP)], request=req("s3:PutObject", OBJ, source_ip="100.101.102.103"))

USERDIRS = pol(
    stmt("Allow", "*", [f"arn:aws:s3:::{BUCKET}/user1path/*"], principal={"CanonicalUser": "sa1"}, sid="User1PermissionsResource"),
    stmt("Allow", "s3:ListBucket", [BKT], principal={"CanonicalUser": "sa1"}, sid="User1PermissionsPrefix",
         condition={"StringLike": {"s3:prefix": "user1path/*"}}),
    stmt("Allow", "*", [f"arn:aws:s3:::{BUCKET}/user2path/*"], principal={"CanonicalUser": "sa2"}, sid="User2PermissionsResource"),
    stmt("Allow", "s3:ListBucket", [BKT], principal={"CanonicalUser": "sa2"}, sid="User2PermissionsPrefix",
         condition={"StringLike": {"s3:prefix": "user2path/*"}}),
)
UD = dict(bindings=[binding("storage.editor")], buckets=[bucket(policy=USERDIRS)])
case("doc-policy-userdirs-own", "user1 writes in its own folder", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), **UD, request=req("s3:PutObject", f"arn:aws:s3:::{BUCKET}/user1path/a"))
case("doc-policy-userdirs-other", "user1 cannot write in user2's folder", YC_POLICY,
     deny("has no statement allowing s3:PutObject"), **UD, request=req("s3:PutObject", f"arn:aws:s3:::{BUCKET}/user2path/a"))
case("doc-policy-userdirs-list-own", "user1 lists its own prefix", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), **UD, request=req("s3:ListBucket", BKT, prefix="user1path/x"))
case("doc-policy-userdirs-list-other", "user1 cannot list user2's prefix", YC_POLICY,
     deny("has no statement allowing s3:ListBucket"), **UD, request=req("s3:ListBucket", BKT, prefix="user2path/"))
case("doc-policy-userdirs-list-noprefix", "user1 cannot list without a prefix", YC_POLICY,
     deny("has no statement allowing s3:ListBucket"), **UD, request=req("s3:ListBucket", BKT))
case("doc-policy-userdirs-temporary", "the CanonicalUser principal covers the SA's temporary keys too", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, temporary key without a session policy"), p=principal("temporary"), **UD,
     request=req("s3:GetObject", f"arn:aws:s3:::{BUCKET}/user1path/a"))

OWNDIR = pol(stmt("Allow", "*", [f"arn:aws:s3:::{BUCKET}/${{aws:userid}}/*"], sid="OwnDirPermissions"))
OD = dict(bindings=[binding("storage.editor")], buckets=[bucket(policy=OWNDIR)])
case("doc-policy-owndir-own", "a service account writes in the folder named by its ID", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), **OD, request=req("s3:PutObject", f"arn:aws:s3:::{BUCKET}/sa1/x"))
case("doc-policy-owndir-other", "not in another account's folder", YC_POLICY,
     deny("has no statement allowing s3:PutObject"), **OD, request=req("s3:PutObject", f"arn:aws:s3:::{BUCKET}/sa2/x"))
case("doc-policy-owndir-temporary-userid", "for a temporary key aws:userid is <sa-id>:<session>, so the SA's folder does not match", YC_POLICY,
     deny("has no statement allowing s3:PutObject"), p=principal("temporary"), **OD,
     request=req("s3:PutObject", f"arn:aws:s3:::{BUCKET}/sa1/x"))
case("doc-policy-owndir-temporary-session-dir", "…and the session's own folder does", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, temporary key without a session policy"), p=principal("temporary"), **OD,
     request=req("s3:PutObject", f"arn:aws:s3:::{BUCKET}/sa1:s1/x"))

CONSOLE = pol(stmt("Allow", "*", [f"arn:aws:s3:::{BUCKET}/*", BKT], principal={"CanonicalUser": "sa1"},
                   condition={"StringLike": {"aws:referer": "https://console.cloud.yandex.*/folders/*/storage/buckets/your-bucket-name*"}}))
case("doc-policy-console-referer", "the console rule matches requests with the console's referer", YC_POLICY,
     allow("allowed: IAM role, bucket policy allows, static key"), bindings=[binding("storage.admin")], buckets=[bucket(policy=CONSOLE)],
     request=req("s3:ListBucket", BKT, referer="https://console.cloud.yandex.ru/folders/abc/storage/buckets/your-bucket-name"))
case("doc-policy-console-no-referer", "with a policy in place, requests without the console referer lose access", YC_POLICY,
     deny("has no statement allowing s3:ListBucket"), bindings=[binding("storage.admin")], buckets=[bucket(policy=CONSOLE)],
     request=req("s3:ListBucket", BKT))

# Owners and admins: ownership grants nothing; a bucket policy restricts even storage.admin.
case("owner-folder-grants-nothing", "the bucket's folder owns it, but an SA of that folder without a role gets nothing", "hourglass: DESIGN.md §10 Owners",
     deny("no role, ACL grant or public access allows s3:GetObject"))
case("admin-restricted-by-policy", "a bucket policy allowing only another SA restricts storage.admin's data access", "hourglass: DESIGN.md §10 Owners",
     deny("has no statement allowing s3:GetObject"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy=pol(stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*", principal={"CanonicalUser": "sa2"})))])
case("admin-denied-by-policy-deny", "an explicit Deny binds storage.admin too", "hourglass: DESIGN.md §10 Owners",
     deny("bucket policy statement 0 denies s3:DeleteObject", "bucket-policy"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy=pol(stmt("Deny", "s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/*")))],
     request=req("s3:DeleteObject", OBJ))

# Scopes.
case("scope-folder-other-folder", "a folder role on another folder does not apply", "hourglass",
     deny("no role"), bindings=[binding("storage.admin", id="fld2")])
case("scope-bucket-other-bucket", "a bucket role on another bucket does not apply", "hourglass",
     deny("no role"), bindings=[binding("storage.admin", scope="bucket", id="other")])
case("scope-folder-covers-bucket", "a folder role covers every bucket of the folder", "hourglass",
     allow("allowed: IAM role"), bindings=[binding("storage.viewer")], buckets=[bucket(name="b2")],
     request=req("s3:GetObject", "arn:aws:s3:::b2/x"))
case("scope-role-of-other-sa", "a role of another SA does not apply", "hourglass",
     deny("no role"), bindings=[binding("storage.admin", subject="sa2")])
case("scope-roles-union", "roles on folder and bucket add up", "hourglass",
     allow("allowed: IAM role"), bindings=[binding("storage.viewer"), binding("storage.configurer", scope="bucket", id=BUCKET)],
     request=req("s3:PutBucketCORS", BKT))
case("scope-sa-other-folder-bucket-role", "an SA of another folder with a role on the bucket", "hourglass",
     allow("allowed: IAM role"), p=principal("static", sa="sa9", folder="fld9", name="bob"),
     bindings=[binding("storage.viewer", subject="sa9", scope="bucket", id=BUCKET)])
case("unknown-bucket", "a bucket that is not registered: only folder roles through request.folder", "hourglass",
     deny("no role"), bindings=[binding("storage.admin", scope="bucket", id="nope")], buckets=[],
     request=req("s3:GetObject", "arn:aws:s3:::nope/x"))

# Public groups.
case("public-authusers-role-anonymous", "allAuthenticatedUsers does not include anonymous requests", "yandex: public groups",
     deny("no role, ACL grant or public access"), p=principal("anonymous"),
     bindings=[binding("storage.viewer", subject="allAuthenticatedUsers", scope="bucket", id=BUCKET)])
case("public-authusers-role-other-folder", "allAuthenticatedUsers includes SAs of other folders", "yandex: public groups",
     allow("allowed: public access, no bucket policy, static key", "public-access"), p=principal("static", sa="sa9", folder="fld9", name="bob"),
     bindings=[binding("storage.viewer", subject="allAuthenticatedUsers", scope="bucket", id=BUCKET)])
case("public-authusers-acl-anonymous", "an AuthenticatedUsers object grant does not open the object to anonymous requests", "hourglass",
     deny("no role"), p=principal("anonymous"), object_acl={"canned": "authenticated-read"})
case("public-authusers-acl-temporary", "an AuthenticatedUsers object grant opens the object to temporary keys of any SA", "hourglass",
     allow("allowed: object ACL grant", "object-acl"), p=principal("temporary", sa="sa9", folder="fld9", name="bob"),
     session_policy=SP["empty"], object_acl={"canned": "authenticated-read"})
case("public-acl-s3-spelling", "a bucket ACL group URI in the s3/ spelling is the same group", "yandex: ACL group URIs",
     allow("allowed: public access"), p=principal("anonymous"),
     buckets=[bucket(acl={"xml": '<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/s3/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>'})])
case("public-read-write-put-anonymous", "public-read-write on the bucket lets anyone upload", "hourglass",
     allow("allowed: public access"), p=principal("anonymous"), buckets=[bucket(acl={"canned": "public-read-write"})],
     request=req("s3:PutObject", OBJ))
case("public-read-no-put", "public-read does not let anyone upload", "hourglass",
     deny("no role"), p=principal("anonymous"), buckets=[bucket(acl={"canned": "public-read"})], request=req("s3:PutObject", OBJ))
case("public-read-lists", "public-read on the bucket lets anyone list", "hourglass",
     allow("allowed: public access"), p=principal("anonymous"), buckets=[bucket(acl={"canned": "public-read"})], request=req("s3:ListBucket", BKT))

# ACL permission mapping.
case("acl-bucket-write-put", "a bucket WRITE grant lets the SA upload", "hourglass: S3 ACL permission mapping",
     allow("allowed: bucket ACL grant"), buckets=[bucket(acl={"grants": [grant(SA, "WRITE")]})], request=req("s3:PutObject", OBJ))
case("acl-bucket-write-no-read", "a bucket WRITE grant does not let the SA read", "hourglass: S3 ACL permission mapping",
     deny("no role"), buckets=[bucket(acl={"grants": [grant(SA, "WRITE")]})])
case("acl-bucket-readacp", "READ_ACP on the bucket reads the bucket ACL", "hourglass: S3 ACL permission mapping",
     allow("allowed: bucket ACL grant"), buckets=[bucket(acl={"grants": [grant(SA, "READ_ACP")]})], request=req("s3:GetBucketAcl", BKT))
case("acl-bucket-writeacp", "WRITE_ACP on the bucket writes the bucket ACL", "hourglass: S3 ACL permission mapping",
     allow("allowed: bucket ACL grant"), buckets=[bucket(acl={"grants": [grant(SA, "WRITE_ACP")]})], request=req("s3:PutBucketAcl", BKT))
case("acl-bucket-full-no-policy", "FULL_CONTROL on a bucket ACL does not cover the bucket policy", "hourglass: S3 ACL permission mapping",
     deny("no role"), buckets=[bucket(acl={"grants": [grant(SA, "FULL_CONTROL")]})], request=req("s3:PutBucketPolicy", BKT))
case("acl-object-write-means-nothing", "WRITE on an object ACL means nothing, as in S3", "hourglass: S3 ACL permission mapping",
     deny("no role"), object_acl={"grants": [grant(SA, "WRITE")]}, request=req("s3:PutObject", OBJ))
case("acl-object-readacp", "READ_ACP on an object reads its ACL", "hourglass: S3 ACL permission mapping",
     allow("allowed: object ACL grant"), object_acl={"grants": [grant(SA, "READ_ACP")]}, request=req("s3:GetObjectAcl", OBJ))
case("acl-object-not-for-bucket-actions", "an object ACL is not consulted for bucket actions", "hourglass",
     deny("no role"), object_acl={"grants": [grant(SA, "FULL_CONTROL")]}, request=req("s3:ListBucket", BKT))
case("aws-acl-no-inheritance", "aws: a bucket READ grant lists but does not read objects", "hourglass: AWS ACL semantics",
     deny("no role, bucket policy statement or ACL grant allows s3:GetObject"), model="aws",
     buckets=[bucket(acl={"grants": [grant(SA, "READ")]})])
case("aws-acl-bucket-read-lists", "aws: a bucket READ grant lists", "hourglass: AWS ACL semantics",
     allow("allowed: bucket ACL grant (resource side), static key", "bucket-acl"), model="aws",
     buckets=[bucket(acl={"grants": [grant(SA, "READ")]})], request=req("s3:ListBucket", BKT))
case("aws-object-acl-limited-by-session", "aws: an object ACL grant to the SA is limited by the session policy", "hourglass: AWS session policies",
     deny("the session policy does not allow s3:GetObject"), model="aws", p=principal("temporary"),
     session_policy=SP["nomatch"], object_acl={"grants": [grant(SA, "READ")]})
case("aws-deny-beats-role", "aws: an explicit bucket-policy Deny beats a role", "hourglass",
     deny('bucket policy statement 1 (Sid "DenyRead") denies', "bucket-policy"), model="aws",
     bindings=[binding("storage.admin")], buckets=[bucket(policy=BP["deny"])])
case("aws-policy-user-arn-covers-temp", "aws: a bucket policy naming the user ARN covers its sessions, within their session policy", AWS_SESSION,
     allow("allowed: bucket policy (resource side), session policy allows"), model="aws", p=principal("temporary"),
     session_policy=SP["allow"], buckets=[bucket(policy=AWS_SRC["bpuser"]["policy"])])
case("aws-policy-account-principal", "aws: a folder (account) principal is limited by the session policy", AWS_SESSION,
     deny("the session policy does not allow"), model="aws", p=principal("temporary"), session_policy=SP["nomatch"],
     buckets=[bucket(policy=pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", principal={"AWS": f"arn:aws:iam::{FOLDER}:root"})))])
case("aws-policy-session-and-star", "aws: a policy with both \"*\" and the session ARN: \"*\" makes the grant look general, so the session policy limits it (safe reading)", AWS_SESSION,
     deny("the session policy does not allow"), model="aws", p=principal("temporary"), session_policy=SP["nomatch"],
     buckets=[bucket(policy=pol(stmt("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", principal={"AWS": [SESSION_ARN, "*"]})))])
case("aws-public-role-anonymous", "aws: a role of allUsers is an identity-side grant to everyone", "hourglass",
     allow("allowed: role of a public group (identity side), anonymous request", "public-access"), model="aws", p=principal("anonymous"),
     bindings=[binding("storage.viewer", subject="allUsers", scope="bucket", id=BUCKET)])
case("aws-bucket-policy-restricts-nothing", "aws: a bucket policy that matches nothing does not restrict a role (unlike yandex)", "hourglass",
     allow("allowed: IAM role (identity side), static key", "roles"), model="aws", bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=BP["nomatch"])])
case("yandex-bucket-policy-restricts", "yandex: a bucket policy that matches nothing restricts a role", YC_OVERVIEW,
     deny("has no statement allowing s3:GetObject"), bindings=[binding("storage.viewer")], buckets=[bucket(policy=BP["nomatch"])])

# Explicit Deny details.
case("deny-before-allow-in-order", "a Deny listed before an Allow still wins", "hourglass",
     deny("bucket policy statement 0 denies s3:GetObject", "bucket-policy"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=pol(stmt("Deny", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"), stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*")))])
case("deny-notaction", "a Deny with NotAction denies everything else", "hourglass",
     deny("bucket policy statement 0 denies s3:PutObject", "bucket-policy"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy=pol({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"},
                                 stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*")))],
     request=req("s3:PutObject", OBJ))
case("deny-session-anonymous-unaffected", "a session policy belongs to temporary keys only", "hourglass",
     allow("allowed: public access, no bucket policy, anonymous request"), p=principal("anonymous"),
     bindings=[binding("storage.viewer", subject="allUsers", scope="bucket", id=BUCKET)])
case("deny-insecure-transport", "a common Deny of plain HTTP", "aws: S3 bucket policy example (aws:SecureTransport)",
     deny("denies s3:GetObject", "bucket-policy"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=pol(stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*"),
                                 stmt("Deny", "*", f"arn:aws:s3:::{BUCKET}/*", sid="DenyHTTP", condition={"Bool": {"aws:SecureTransport": "false"}})))],
     request=req("s3:GetObject", OBJ, secure_transport=False))
case("deny-insecure-transport-tls", "…and TLS requests pass it", "aws: S3 bucket policy example (aws:SecureTransport)",
     allow("allowed: IAM role, bucket policy allows, static key"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=pol(stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*"),
                                 stmt("Deny", "*", f"arn:aws:s3:::{BUCKET}/*", sid="DenyHTTP", condition={"Bool": {"aws:SecureTransport": "false"}})))],
     request=req("s3:GetObject", OBJ, secure_transport=True))
case("broken-stored-policy-denies", "a stored bucket policy that cannot be compiled denies every request", "hourglass: fail closed",
     deny("cannot be compiled", "bucket-policy"), bindings=[binding("storage.admin")],
     buckets=[bucket(policy={"Version": "2099-01-01", "Statement": []})])
case("session-principal-type-condition", "a bucket policy may single out temporary keys with aws:PrincipalType", "hourglass",
     deny("bucket policy statement 0 denies s3:GetObject", "bucket-policy"), p=principal("temporary"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=pol(stmt("Deny", "*", f"arn:aws:s3:::{BUCKET}/*", condition={"StringEquals": {"aws:PrincipalType": "AssumedRole"}})))])
case("session-principal-type-condition-static", "…which leaves the static key alone", "hourglass",
     allow("allowed: IAM role, bucket policy allows, static key"), bindings=[binding("storage.viewer")],
     buckets=[bucket(policy=pol(stmt("Deny", "*", f"arn:aws:s3:::{BUCKET}/*", condition={"StringEquals": {"aws:PrincipalType": "AssumedRole"}}),
                                 stmt("Allow", "*", f"arn:aws:s3:::{BUCKET}/*")))])
case("session-policy-user-arn-in-bucket-policy", "yandex: a bucket policy naming the SA's user ARN covers its temporary keys", "hourglass",
     allow("allowed: IAM role, bucket policy allows, session policy allows"), p=principal("temporary"), bindings=[binding("storage.viewer")],
     session_policy=SP["allow"], buckets=[bucket(policy=AWS_SRC["bpuser"]["policy"])])

# ListBuckets and CreateBucket.
SVC = "*"
case("list-buckets-static", "an SA with a role lists buckets", "hourglass", allow("allowed: IAM role", "roles"),
     bindings=[binding("storage.viewer")], request=req("s3:ListAllMyBuckets", SVC))
case("list-buckets-bucket-role", "a bucket-scope role is enough to list", "hourglass", allow("allowed: IAM role"),
     bindings=[binding("storage.configurer", scope="bucket", id=BUCKET)], request=req("s3:ListAllMyBuckets", SVC))
case("list-buckets-no-role", "without a role, no listing", "hourglass", deny("no role allows s3:ListAllMyBuckets"),
     request=req("s3:ListAllMyBuckets", SVC))
case("list-buckets-anonymous", "anonymous requests cannot list", "hourglass", deny("no role allows s3:ListAllMyBuckets"),
     p=principal("anonymous"), bindings=[binding("storage.viewer", subject="allUsers")], request=req("s3:ListAllMyBuckets", SVC))
case("list-buckets-temporary-folder-role", "yandex: folder-level roles let temporary keys list, whatever the session policy allows", "yandex: DESIGN.md §5 documented behaviours",
     allow("allowed: IAM role"), p=principal("temporary"), bindings=[binding("storage.viewer")], session_policy=SP["allow"],
     request=req("s3:ListAllMyBuckets", SVC))
case("list-buckets-temporary-session-deny", "a session policy Deny of ListAllMyBuckets is final", "hourglass",
     deny("denies s3:ListAllMyBuckets", "session-policy"), p=principal("temporary"), bindings=[binding("storage.viewer")],
     session_policy=sess(stmt("Deny", "s3:ListAllMyBuckets", "*", sid="NoList")), request=req("s3:ListAllMyBuckets", SVC))
case("aws-list-buckets-temporary-needs-session-allow", "aws: the session policy must allow ListAllMyBuckets", "hourglass",
     deny("the session policy does not allow s3:ListAllMyBuckets"), model="aws", p=principal("temporary"),
     bindings=[binding("storage.viewer")], session_policy=SP["allow"], request=req("s3:ListAllMyBuckets", SVC))
case("aws-list-buckets-temporary-session-allows", "aws: …and then lists", "hourglass",
     allow("allowed: IAM role"), model="aws", p=principal("temporary"), bindings=[binding("storage.viewer")],
     session_policy=sess(stmt("Allow", "s3:ListAllMyBuckets", "arn:aws:s3:::*")), request=req("s3:ListAllMyBuckets", SVC))
case("create-bucket-editor-folder", "storage.editor on the folder creates buckets in it", "hourglass",
     allow("allowed: IAM role"), bindings=[binding("storage.editor")], buckets=[],
     request=req("s3:CreateBucket", "arn:aws:s3:::newbucket", folder=FOLDER))
case("create-bucket-viewer-folder", "storage.viewer cannot create buckets", "hourglass",
     deny("no role"), bindings=[binding("storage.viewer")], buckets=[],
     request=req("s3:CreateBucket", "arn:aws:s3:::newbucket", folder=FOLDER))
case("create-bucket-other-folder", "a role on another folder does not create buckets in this one", "hourglass",
     deny("no role"), bindings=[binding("storage.admin", id="fld2")], buckets=[],
     request=req("s3:CreateBucket", "arn:aws:s3:::newbucket", folder=FOLDER))

# ---------------------------------------------------------------- write

if os.path.isdir(OUT):
    shutil.rmtree(OUT)
os.makedirs(OUT)
for name, c in sorted(cases.items()):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(c, f, indent=2, ensure_ascii=False)
        f.write("\n")
print(len(cases), "cases")
