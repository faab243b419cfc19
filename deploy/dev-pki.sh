#!/usr/bin/env bash
# Generates a development PKI and a ready creditd configuration in DIR:
#   DIR/ca.pem, DIR/ca.key            a CA made for this folder only
#   DIR/server.pem, DIR/server.key    the server, for 127.0.0.1 and localhost
#   DIR/NAME.pem, DIR/NAME.key        clients admin, recorder, approver, querier, auditor
#                                     (common name = NAME), plus any EXTRA_NAME given, which
#                                     get a certificate but no identity in the configuration
#   DIR/creditd.yaml                  identities -> departments and roles, the seed catalogue
# Usage: deploy/dev-pki.sh DIR [EXTRA_NAME ...]
# Does nothing when DIR/ca.pem exists already. Keys never leave DIR; none is committed.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [EXTRA_NAME ...]" >&2
  exit 2
fi
dir=$1
shift
if [ -f "$dir/ca.pem" ]; then
  echo "dev-pki: $dir/ca.pem exists; leaving the PKI in $dir as it is"
  exit 0
fi
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
umask 077

days=825
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/O=Credit Registry dev/CN=Credit Registry dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

issue() {  # name extensions
  local name=$1 ext=$2
  key "$name.key"
  openssl req -new -key "$name.key" -subj "/O=Credit Registry dev/CN=$name" -out "$name.csr"
  printf '%b' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -days $days -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue server "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
for name in admin recorder approver querier auditor "$@"; do
  issue "$name" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
done
rm -f ca.srl
chmod 644 ./*.pem

cat > creditd.yaml <<'YAML'
# creditd development configuration, made by deploy/dev-pki.sh. Paths are relative to this file.
listen: 127.0.0.1:50051
data_dir: ../data
# Online backups (creditctl admin backup create); restore with creditd restore.
backup_dir: ../backups
# Dates (effective, expiry, "today") are counted in UTC+8.
utc_offset_hours: 8
# Prometheus metrics over plain HTTP, on loopback; port 0: any free port, which creditd prints
# at start ("metrics on http://127.0.0.1:PORT/metrics"). A production configuration names one.
metrics_listen: 127.0.0.1:0
# One JSON line per call on stderr (no person's ID number in clear); false turns it off.
access_log: true

tls:
  ca: ca.pem          # CA of the client certificates
  cert: server.pem
  key: server.key

# Client certificate common name -> department, roles, and the right to see ID numbers unmasked.
identities:
  admin:
    department: 市社会信用体系建设办公室
    roles: [admin]
  recorder:
    department: 市中小企业局
    roles: [recorder]
    unmask: true
  approver:
    department: 市中小企业局
    roles: [approver]
    unmask: true
  querier:
    department: 市财政局
    roles: [querier]
  auditor:
    department: 市纪委监委
    roles: [auditor]
    unmask: true

# The joint reward and punishment catalogue put into an empty database at first start.
measures:
  - code: P-PROCUREMENT
    name: 限制参与政府采购活动
    kind: punishment
    departments: [市财政局]
    legal_basis: 《中华人民共和国政府采购法》第二十二条、第七十七条
  - code: P-BIDDING
    name: 限制参与工程建设项目招标投标
    kind: punishment
    departments: [市住房和城乡建设局, 市发展和改革委员会]
    legal_basis: 《中华人民共和国招标投标法实施条例》第六十七条
  - code: P-SUBSIDY
    name: 限制申请财政性资金补助和政策扶持
    kind: punishment
    departments: [市财政局, 市发展和改革委员会, 市中小企业局]
    legal_basis: 《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》（国发〔2016〕33号）
  - code: P-HONOURS
    name: 限制参加评先评优和表彰奖励
    kind: punishment
    departments: [市人力资源和社会保障局, 市中小企业局]
    legal_basis: 国发〔2016〕33号 第三部分第（十一）项
  - code: P-EXECUTIVE
    name: 限制担任法定代表人、董事、监事和高级管理人员
    kind: punishment
    departments: [市市场监督管理局]
    legal_basis: 《中华人民共和国公司法》第一百七十八条
  - code: P-CONSUMPTION
    name: 限制高消费及非生活和工作必需的消费行为
    kind: punishment
    departments: [市中级人民法院]
    legal_basis: 《最高人民法院关于限制被执行人高消费及有关消费的若干规定》第三条
  - code: P-INSPECTION
    name: 列为重点监管对象，提高抽查比例和频次
    kind: punishment
    departments: [市市场监督管理局, 国家税务总局市税务局]
    legal_basis: 《国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的指导意见》（国办发〔2019〕35号）
  - code: P-LAND
    name: 限制取得政府供应土地
    kind: punishment
    departments: [市自然资源局]
    legal_basis: 《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）
  - code: P-BONDS
    name: 限制发行企业债券
    kind: punishment
    departments: [市发展和改革委员会]
    legal_basis: 《企业债券管理条例》第十二条
  - code: I-GREEN-CHANNEL
    name: 行政审批绿色通道
    kind: incentive
    departments: [市政务服务数据管理局]
    legal_basis: 国发〔2016〕33号 第二部分第（五）项
  - code: I-MISSING-DOCS
    name: 容缺受理
    kind: incentive
    departments: [市政务服务数据管理局, 市中小企业局]
    legal_basis: 国发〔2016〕33号 第二部分第（五）项
  - code: I-FEWER-INSPECTIONS
    name: 减少日常监督检查频次
    kind: incentive
    departments: [市市场监督管理局, 国家税务总局市税务局]
    legal_basis: 国办发〔2019〕35号 第三部分第（七）项
  - code: I-FUNDING-PRIORITY
    name: 财政性资金补助和表彰评优优先考虑
    kind: incentive
    departments: [市财政局, 市中小企业局]
    legal_basis: 国发〔2016〕33号 第二部分第（六）项
YAML
echo "dev-pki: wrote CA, server and client certificates and creditd.yaml to $dir"
