#!/usr/bin/env bash
# What a release says about its image, checked from outside: the SBOM and the provenance
# statement fetched through the referrers tag with skopeo and curl, the SBOM against the SPDX
# 2.3 schema and against `cargo tree`, and `rcd sbom`.
source "$(dirname "$0")/lib.sh"
start_registry supply
REG=$REGISTRY_ADDR
SCHEMA="$FIXTURES/schemas/spdx-2.3.schema.json"
HOST=$(rustc -vV | sed -n 's/^host: //p')

make_supply_repo() { # NAME
  local repo
  repo=$(make_repo deps-workspace "$1")
  printf 'registry: %s/%s\n' "$REG" "$1" >>"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}

# validate_spdx FILE: the SPDX 2.3 JSON schema accepts it.
validate_spdx() {
  /usr/bin/python3 - "$SCHEMA" "$1" <<'PY'
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY
}

# The packages cargo builds dep-service from, without dev-dependencies: "name version" lines.
cargo_tree_packages() { # REPO
  (cd "$1" && cargo tree -q --locked -e no-dev --prefix none --target "$HOST" -p dep-service) |
    sed -E 's/ \(.*$//; s/ v/ /' | sort -u
}

spdx_packages() { jq -r '.packages[] | "\(.name) \(.versionInfo)"' "$1" | sort -u; }

# manifest REPOSITORY DIGEST > FILE: an OCI manifest, fetched with curl.
manifest() {
  curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/$1/manifests/$2"
}
blob() { curl -sf "http://$REG/v2/$1/blobs/$2"; }

test_release_attaches_sbom_and_provenance_found_through_the_referrers_tag() {
  local repo image digest index n sbom prov
  repo=$(make_supply_repo attached)
  image=attached/dep-service
  rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  digest=$(json "$WORK/doc" .image.digest)
  assert_eq "sha256-${digest#sha256:}" "$(json "$WORK/doc" .image.referrers_tag)" "referrers tag"
  assert_eq 2 "$(json "$WORK/doc" '.image.attachments | length')" "attachments in the JSON"

  # The referrers index, through the tag schema, read by skopeo.
  skopeo inspect --raw --tls-verify=false "docker://$REG/$image:sha256-${digest#sha256:}" >"$WORK/index"
  assert_eq application/vnd.oci.image.index.v1+json "$(json "$WORK/index" .mediaType)" "index"
  assert_eq "application/spdx+json application/vnd.in-toto+json" \
    "$(jq -r '[.manifests[].artifactType] | sort | join(" ")' "$WORK/index")" "artifact types"
  for type in application/spdx+json application/vnd.in-toto+json; do
    n=$(jq -r --arg t "$type" '.manifests[] | select(.artifactType == $t) | .digest' "$WORK/index")
    manifest "$image" "$n" >"$WORK/m"
    assert_eq "$digest" "$(json "$WORK/m" .subject.digest)" "$type: subject"
    assert_eq "$type" "$(json "$WORK/m" .artifactType)" "$type: artifactType"
    assert_eq application/vnd.oci.empty.v1+json "$(json "$WORK/m" .config.mediaType)" "$type: config"
    blob "$image" "$(json "$WORK/m" '.layers[0].digest')" >"$WORK/${type//\//_}.doc" ||
      fail "$type: the document blob cannot be fetched"
  done
  sbom="$WORK/application_spdx+json.doc"
  prov="$WORK/application_vnd.in-toto+json.doc"

  validate_spdx "$sbom" || fail "the SBOM does not validate against the SPDX 2.3 schema"
  assert_eq "$(cargo_tree_packages "$repo")" "$(spdx_packages "$sbom")" "SBOM packages against cargo tree"
  assert_not_contains "$(spdx_packages "$sbom")" "itoa" "a dev-dependency"
  assert_eq "pkg:cargo/serde@1.0.152" \
    "$(jq -r '.packages[] | select(.name == "serde") | .externalRefs[0].referenceLocator' "$sbom")" purl
  assert_eq "$(awk '/name = "serde"/{f=1} f && /checksum/{gsub(/"/,"",$3); print $3; exit}' "$repo/Cargo.lock")" \
    "$(jq -r '.packages[] | select(.name == "serde") | .checksums[0].checksumValue' "$sbom")" "checksum"
  assert_eq "MIT OR Apache-2.0" \
    "$(jq -r '.packages[] | select(.name == "hex") | .licenseDeclared' "$sbom")" licence

  assert_eq https://slsa.dev/provenance/v1 "$(json "$prov" .predicateType)" predicateType
  assert_eq "${digest#sha256:}" "$(json "$prov" '.subject[0].digest.sha256')" "provenance subject"
  assert_eq "$(git -C "$repo" rev-parse HEAD)" \
    "$(json "$prov" '.predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit')" commit
  assert_eq "sha256:$(sha256sum "$repo/Cargo.lock" | cut -d' ' -f1)" \
    "$(jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.name == "Cargo.lock") | "sha256:" + .digest.sha256' "$prov")" \
    "lockfile digest"
  assert_eq "$(json "$WORK/doc" '.cache.profiles[] | select(.name == "release") | .key')" \
    "$(json "$prov" .predicate.buildDefinition.internalParameters.cache_keys.release)" "cache key"
  assert_eq passed "$(json "$prov" '.predicate.buildDefinition.internalParameters.stages[] | select(.name == "test") | .status')" "test stage"
  assert_contains "$(json "$prov" '.predicate.buildDefinition.internalParameters.stages[] | select(.name == "build") | .command | join(" ")')" \
    "cargo build --workspace --release" "build command"

  # Turned off in rcd.yaml: the next release attaches the provenance only.
  printf 'image: {sbom: false}\n' >>"$repo/rcd.yaml"
  commit_all "$repo"
  rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq application/vnd.in-toto+json "$(json "$WORK/doc" '[.image.attachments[].artifact_type] | join(" ")')" \
    "attachments with sbom: false"
  digest=$(json "$WORK/doc" .image.digest)
  skopeo inspect --raw --tls-verify=false "docker://$REG/$image:sha256-${digest#sha256:}" >"$WORK/index"
  assert_eq 1 "$(json "$WORK/index" '.manifests | length')" "entries with sbom: false"
}

test_sbom_command_prints_spdx_and_cyclonedx_without_building() {
  local repo
  repo=$(make_supply_repo printed)
  rcd -C "$repo" sbom >"$WORK/spdx" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  [ ! -d "$repo/target/release" ] || fail "rcd sbom built something"
  validate_spdx "$WORK/spdx" || fail "rcd sbom's document does not validate"
  assert_eq "$(cargo_tree_packages "$repo")" "$(spdx_packages "$WORK/spdx")" "rcd sbom's packages"
  assert_eq "$(git -C "$repo" log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)" \
    "$(json "$WORK/spdx" .creationInfo.created)" "created: the commit's time"
  rcd -C "$repo" sbom >"$WORK/again"
  cmp -s "$WORK/spdx" "$WORK/again" || fail "two runs gave different documents"

  rcd -C "$repo" sbom --format cyclonedx >"$WORK/cdx"
  assert_eq "CycloneDX 1.5" "$(json "$WORK/cdx" '"\(.bomFormat) \(.specVersion)"')" format
  assert_eq dep-service "$(json "$WORK/cdx" .metadata.component.name)" "root component"
  assert_eq "codec hex serde" "$(jq -r '[.components[].name] | sort | join(" ")' "$WORK/cdx")" components

  # Without a Cargo.lock there is nothing exact to list: exit 2, naming it.
  git -C "$repo" rm -q Cargo.lock
  commit_all "$repo"
  local rc=0
  rcd -C "$repo" sbom >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "exit code without Cargo.lock"
  assert_contains "$(cat "$WORK/err")" "Cargo.lock" "the error"
  [ ! -e "$repo/Cargo.lock" ] || fail "rcd sbom wrote a Cargo.lock"
}

test_resolve_pins_placeholders_and_tags_and_check_finds_drift() {
  local repo image digest rc
  repo=$(make_release_repo resolved "$REG")
  image="$REG/team/fixture-service"
  rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  digest=$(json "$WORK/doc" .image.digest)
  mkdir -p "$repo/deploy"
  cat >"$repo/deploy/app.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: rcd://fixture-service
        - name: sidecar
          image: $image:latest
        - name: other
          image: $image-cache:latest
YAML
  printf '{"image": "%s:%s"}\n' "$image" "$(git -C "$repo" rev-parse HEAD)" >"$repo/deploy/app.tfvars.json"
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: job}\nspec: {containers: [{name: job, image: "rcd://fixture-service"}]}\n' \
    >"$repo/deploy/job.yaml"
  rcd -C "$repo" resolve deploy/app.tfvars.json >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "{\"image\": \"$image@$digest\"}" "$(cat "$WORK/out")" "the tfvars file"
  rcd -C "$repo" resolve deploy/app.yaml deploy/job.yaml >"$WORK/out" 2>"$WORK/err" ||
    { cat "$WORK/err"; return 1; }
  assert_eq 2 "$(grep -c "image: $image@$digest" "$WORK/out")" "pinned images in app.yaml"
  assert_contains "$(cat "$WORK/out")" "image: $image-cache:latest" "another repository, untouched"
  # Still YAML (kubectl reads it): two documents, each naming the release.
  /usr/bin/python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
print(len(docs), docs[1]["spec"]["containers"][0]["image"])' "$WORK/out" >"$WORK/n"
  assert_eq "2 $image@$digest" "$(cat "$WORK/n")" "documents, and the second's image"

  # --check: the resolved files are current; one naming another digest is drift, exit 1.
  sed -n '1,14p' "$WORK/out" >"$repo/deploy/pinned.yaml"
  rcd -C "$repo" resolve --check deploy/pinned.yaml >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "" "$(cat "$WORK/out")" "--check prints nothing on stdout"
  sed -i "s/@sha256:[0-9a-f]*/@sha256:$(printf '0%.0s' $(seq 64))/" "$repo/deploy/pinned.yaml"
  rc=0
  rcd -C "$repo" resolve --check deploy/pinned.yaml >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 1 "$rc" "exit code of --check with drift"
  assert_contains "$(cat "$WORK/err")" "deploy/pinned.yaml:11:" "the drifted line"

  # Another service's placeholder is an error naming the file and line.
  rc=0
  rcd -C "$repo" resolve - <<<'image: rcd://billing' >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "exit code for another service's placeholder"
  assert_contains "$(cat "$WORK/err")" "<stdin>:1: rcd://billing" "the error"
}

run_test test_release_attaches_sbom_and_provenance_found_through_the_referrers_tag
run_test test_sbom_command_prints_spdx_and_cyclonedx_without_building
run_test test_resolve_pins_placeholders_and_tags_and_check_finds_drift
finish
