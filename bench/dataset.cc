#include "bench/dataset.h"

#include <chrono>
#include <vector>

#include "common/subject/subject_code.h"

namespace credit::bench {
namespace {

namespace v1 = ::credit::registry::v1;

// A cheap, well-spread hash so that neighbouring subjects get unrelated names.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Appends `value` as `width` decimal digits, zero-padded (the high digits dropped if it has more):
// the generator's hot path, where snprintf was an eighth of an import client's CPU.
void AppendDigits(std::string& out, uint64_t value, int width) {
  size_t end = out.size() + width;
  out.resize(end);
  for (int i = 1; i <= width; ++i, value /= 10) out[end - i] = static_cast<char>('0' + value % 10);
}

template <typename T>
const T& Pick(const std::vector<T>& list, uint64_t n, int salt) {
  return list[Mix(n * 131 + salt) % list.size()];
}

const std::vector<std::string> kCities = {"深圳", "广州", "东莞", "佛山", "珠海",
                                          "惠州", "中山", "江门", "汕头", "湛江"};
const std::vector<std::string> kTradeNames = {
    "华信", "鹏程", "宏远", "恒通", "金桥", "瑞丰", "新创", "海达", "正源", "博雅", "天诚", "盛世",
    "永泰", "嘉禾", "中鑫", "安顺", "明德", "富康", "联合", "卓越", "蓝海", "智远", "绿源", "和信"};
const std::vector<std::string> kIndustries = {
    "科技",       "贸易",     "建设工程", "餐饮管理", "物流",     "电子", "环保科技", "医药",
    "房地产开发", "劳务派遣", "商贸",     "信息技术", "装饰工程", "食品", "机械设备"};
const std::vector<std::string> kCompanyForms = {"有限公司", "有限责任公司", "股份有限公司"};
const std::vector<std::string> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴",
                                            "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林",
                                            "罗", "高", "郑", "梁", "谢", "宋", "唐", "许"};
const std::vector<std::string> kGivenChars = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军",
                                              "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀",
                                              "霞", "平", "刚", "桂", "英", "华", "建", "国", "文"};

struct Case {
  v1::ListKind list;
  const char* category;
  const char* facts;
  const char* legal_basis;
  const char* authority;
  const char* document_prefix;
  std::vector<std::string> measures;
};

const std::vector<Case> kCases = {
    {v1::LIST_KIND_BLACK,
     "tax",
     "经查，该主体通过虚假申报手段逃避缴纳税款，数额较大，且拒不补缴。",
     "《中华人民共和国税收征收管理法》第六十三条",
     "国家税务总局深圳市税务局",
     "深税稽罚",
     {"P-PROCUREMENT", "P-BIDDING", "P-SUBSIDY"}},
    {v1::LIST_KIND_BLACK,
     "wages",
     "拖欠农民工工资，经责令限期支付后逾期仍未支付。",
     "《保障农民工工资支付条例》第四十八条",
     "深圳市人力资源和社会保障局",
     "深人社罚",
     {"P-PROCUREMENT", "P-BIDDING", "P-HONOURS"}},
    {v1::LIST_KIND_BLACK,
     "quality",
     "生产销售不合格产品，货值金额较大，造成不良社会影响。",
     "《中华人民共和国产品质量法》第四十九条",
     "深圳市市场监督管理局",
     "深市监罚",
     {"P-PROCUREMENT", "P-INSPECTION"}},
    {v1::LIST_KIND_BLACK,
     "court",
     "有履行能力而拒不履行生效法律文书确定的义务。",
     "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
     "深圳市中级人民法院",
     "深中法执",
     {"P-CONSUMPTION", "P-EXECUTIVE", "P-BONDS", "P-LAND"}},
    {v1::LIST_KIND_RED,
     "tax",
     "连续三年纳税信用等级评定为A级。",
     "《纳税信用管理办法》第三十条",
     "国家税务总局深圳市税务局",
     "深税信",
     {"I-GREEN-CHANNEL", "I-FEWER-INSPECTIONS"}},
    {v1::LIST_KIND_RED,
     "contract",
     "连续五年获评守合同重信用企业。",
     "《关于建立完善守信联合激励和失信联合惩戒制度的指导意见》",
     "深圳市市场监督管理局",
     "深市监信",
     {"I-MISSING-DOCS", "I-FUNDING-PRIORITY"}},
    {v1::LIST_KIND_WATCH,
     "environment",
     "超标排放污染物，已责令改正，列入重点关注名单。",
     "《中华人民共和国环境保护法》第五十九条",
     "深圳市生态环境局",
     "深环罚",
     {}},
};

}  // namespace

std::string OrgCode(uint64_t n) {
  std::string code = "9144030";
  code.reserve(18);
  AppendDigits(code, n, 10);
  return code + UsccCheckCharacter(code);
}

std::string PersonCode(uint64_t n) {
  // Born on one of 18,000 days from 1960 on; the sequence number tells apart those born the same
  // day (odd numbers are men, even women: either is valid).
  using namespace std::chrono;
  year_month_day birth{sys_days{year{1960} / January / 1} + days{static_cast<int>(n % 18000)}};
  std::string code = "440305";
  code.reserve(18);
  AppendDigits(code, static_cast<int>(birth.year()), 4);
  AppendDigits(code, static_cast<unsigned>(birth.month()), 2);
  AppendDigits(code, static_cast<unsigned>(birth.day()), 2);
  AppendDigits(code, n / 18000 % 1000, 3);
  return code + ResidentIdCheckCharacter(code);
}

std::string SubjectCode(uint64_t n) { return n % 2 == 0 ? OrgCode(n / 2) : PersonCode(n / 2); }

void FillEntry(uint64_t n, v1::Entry* e) {
  e->mutable_subject()->set_code(SubjectCode(n));
  if (n % 2 == 0) {
    e->mutable_subject()->set_name(Pick(kCities, n, 1) + Pick(kTradeNames, n, 2) +
                                   Pick(kIndustries, n, 3) + Pick(kCompanyForms, n, 4));
  } else {
    std::string name = Pick(kSurnames, n, 5) + Pick(kGivenChars, n, 6);
    if (Mix(n) % 3 != 0) name += Pick(kGivenChars, n, 7);
    e->mutable_subject()->set_name(name);
  }
  const Case& c = Pick(kCases, n, 8);
  e->set_list(c.list);
  e->set_category(c.category);
  e->set_facts(c.facts);
  e->set_legal_basis(c.legal_basis);
  e->set_authority(c.authority);
  // Numbered by n: each entry is a decision of its own.
  e->set_document_number(std::string(c.document_prefix) + "〔2026〕" + std::to_string(n) + "号");
  if (c.list != v1::LIST_KIND_RED)
    e->set_severity(Mix(n + 3) % 4 == 0 ? v1::SEVERITY_SERIOUS : v1::SEVERITY_GENERAL);
  int month = static_cast<int>(Mix(n + 1) % 9) + 1;
  std::string date = "2026-";  // decision on the 5th, in force from the 10th
  AppendDigits(date, month, 2);
  e->set_decision_date(date + "-05");
  e->set_effective_date(date + "-10");
  date.clear();  // expiry three to five years on, the day before
  AppendDigits(date, 2029 + Mix(n + 2) % 3, 4);
  date += '-';
  AppendDigits(date, month, 2);
  e->set_expiry_date(date + "-09");
  for (const std::string& m : c.measures) e->add_measure_codes(m);
}

v1::Entry EntryFor(uint64_t n) {
  v1::Entry e;
  FillEntry(n, &e);
  return e;
}

}  // namespace credit::bench
