// The ONNX checker's structural rules, before anything is imported: each
// node's input and output counts, its attributes' types and the required
// ones (from the operator's schema, for the opsets the ONNX library knows),
// and single assignment (one producer per tensor name); and, as each node
// is imported, its inputs' types against the schema's type constraints.
#include "frontends/onnx/Importer.h"

#include "onnx/defs/data_type_utils.h"
#include "onnx/defs/schema.h"

#include <algorithm>
#include <map>

namespace lathe::onnx_import {

namespace {

/// "FLOAT", "INTS", ... as the ONNX protobuf names them.
const std::string &attributeTypeName(int type) {
  return onnx::AttributeProto::AttributeType_Name(
      onnx::AttributeProto::AttributeType(type));
}

bool isListType(int type) {
  return type == onnx::AttributeProto::FLOATS ||
         type == onnx::AttributeProto::INTS ||
         type == onnx::AttributeProto::STRINGS ||
         type == onnx::AttributeProto::TENSORS ||
         type == onnx::AttributeProto::GRAPHS ||
         type == onnx::AttributeProto::SPARSE_TENSORS ||
         type == onnx::AttributeProto::TYPE_PROTOS;
}

/// An empty list (onnx.helper writes [] as INTS, whatever the schema's).
bool isEmptyList(const onnx::AttributeProto &attr) {
  return isListType(attr.type()) && attr.floats_size() == 0 &&
         attr.ints_size() == 0 && attr.strings_size() == 0 &&
         attr.tensors_size() == 0 && attr.graphs_size() == 0 &&
         attr.sparse_tensors_size() == 0 && attr.type_protos_size() == 0;
}

/// The opsets of a node's domain: the model's and the newest the ONNX
/// library has schemas for (both 0 when either is unknown).
struct Opsets {
  int64_t model = 0, known = 0;
};

Opsets opsetsOf(const onnx::ModelProto &model, const NodeProto &node,
                std::string &domain) {
  domain = isDefaultDomain(node.domain()) ? "" : node.domain();
  int64_t version = importedOpset(model, domain);
  const auto &ranges =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = ranges.find(domain);
  if (version <= 0 || range == ranges.end())
    return {};
  return {version, range->second.second};
}

/// The schema of operator |op| of |domain| at the model's opset, or at the
/// newest the ONNX library knows when the model's is newer; null when the
/// operator has none there.
const onnx::OpSchema *schemaAt(const std::string &op, const std::string &domain,
                               Opsets opsets) {
  if (!opsets.model)
    return nullptr;
  return onnx::OpSchemaRegistry::Schema(
      op, int(std::min(opsets.model, opsets.known)), domain);
}

/// The first opset of |domain| that has operator |op|, when that is after
/// the model's opset (0 otherwise): the operator does not exist in the
/// model's opset at all.
int64_t introducedAfter(const std::string &op, const std::string &domain,
                        Opsets opsets) {
  if (!opsets.model || opsets.model > opsets.known ||
      schemaAt(op, domain, opsets))
    return 0;
  const onnx::OpSchema *newest =
      onnx::OpSchemaRegistry::Schema(op, int(opsets.known), domain);
  if (!newest)
    return 0;
  // The newest schema's since_version may not be the first: walk down.
  int64_t first = newest->since_version();
  while (first > 1) {
    const onnx::OpSchema *older =
        onnx::OpSchemaRegistry::Schema(op, int(first - 1), domain);
    if (!older)
      break;
    first = older->since_version();
  }
  return first > opsets.model ? first : 0;
}

/// ONNX's type string of a tensor of |dtype| ("tensor(float)", ...): that
/// of the ONNX element type dtypeFromOnnx reads as |dtype|.
const std::string &tensorTypeString(DType dtype) {
  static const std::map<DType, std::string> names = [] {
    std::map<DType, std::string> m;
    for (int t = onnx::TensorProto::DataType_MIN;
         t <= onnx::TensorProto::DataType_MAX; ++t) {
      auto d = dtypeFromOnnx(t);
      if (!d) {
        llvm::consumeError(d.takeError());
        continue;
      }
      m.emplace(*d, "tensor(" +
                        onnx::Utils::DataTypeUtils::ToDataTypeString(t) + ")");
    }
    return m;
  }();
  return names.at(dtype);
}

/// Whether |allowed| holds |type|, plain or as an optional's content (an
/// optional holding a value is imported as that value).
bool allows(const onnx::DataTypeSet &allowed, const std::string &type) {
  for (onnx::DataType t : allowed)
    if (*t == type || *t == "optional(" + type + ")")
      return true;
  return false;
}

} // namespace

LogicalResult Importer::checkInputTypes(const NodeProto &node) {
  std::string domain;
  Opsets opsets = opsetsOf(model, node, domain);
  // An opset newer than the ONNX library knows may allow more types.
  if (opsets.model > opsets.known)
    return success();
  const onnx::OpSchema *schema = schemaAt(node.op_type(), domain, opsets);
  if (!schema || schema->inputs().empty())
    return success();
  const auto &formals = schema->inputs();
  // The type each type variable ("T") took first, and from which input.
  std::map<std::string, std::pair<std::string, int>> bound;
  for (int i = 0; i < node.input_size(); ++i) {
    const std::string &name = node.input(i);
    if (name.empty() || absent.count(name))
      continue;
    std::optional<DType> dtype;
    bool isSequence = false;
    if (auto c = constants.find(name); c != constants.end()) {
      dtype = c->second.dtype;
    } else if (auto v = values.find(name); v != values.end()) {
      if (auto type = dyn_cast<RankedTensorType>(v->second.getType()))
        dtype = dtypeOf(type.getElementType());
    } else if (auto s = sequences.find(name);
               s != sequences.end() && !s->second.empty()) {
      isSequence = true;
      if (auto type = dyn_cast<RankedTensorType>(s->second.front().getType()))
        dtype = dtypeOf(type.getElementType());
    }
    if (!dtype)
      continue; // Unknown here: the handler reports a missing input.
    std::string type = tensorTypeString(*dtype);
    if (isSequence)
      type = "seq(" + type + ")";
    // Inputs past the last formal parameter belong to it (variadic).
    const auto &formal = formals[std::min<size_t>(i, formals.size() - 1)];
    if (!allows(formal.GetTypes(), type)) {
      std::string allowed;
      std::vector<std::string> names;
      for (onnx::DataType t : formal.GetTypes())
        names.push_back(*t);
      std::sort(names.begin(), names.end());
      for (const std::string &n : names)
        allowed += (allowed.empty() ? "" : ", ") + n;
      return error(node) << "input " << i << " ('" << name << "', "
                         << formal.GetName() << ") is " << type << "; opset "
                         << schema->since_version() << " takes " << allowed;
    }
    // One type variable is one type across the inputs that share it
    // (a heterogeneous variadic's inputs each have their own).
    bool variadicHeterogeneous =
        formal.GetOption() == onnx::OpSchema::Variadic &&
        !formal.GetIsHomogeneous();
    bool isVariable = false;
    for (const auto &param : schema->typeConstraintParams())
      isVariable |= param.type_param_str == formal.GetTypeStr();
    if (variadicHeterogeneous || !isVariable)
      continue;
    auto [it, fresh] = bound.emplace(formal.GetTypeStr(), std::pair(type, i));
    if (!fresh && it->second.first != type)
      return error(node) << "input " << i << " ('" << name << "') is " << type
                         << " but input " << it->second.second << " is "
                         << it->second.first << "; both are "
                         << formal.GetTypeStr() << ", one type";
  }
  return success();
}

LogicalResult Importer::checkStructure(const onnx::GraphProto &g) {
  // Where each name comes from, for single assignment.
  std::map<std::string, std::string> producers;
  for (const auto &in : g.input())
    producers.emplace(in.name(), "graph input '" + in.name() + "'");
  for (const auto &init : g.initializer())
    producers.emplace(init.name(), "initializer '" + init.name() + "'");
  for (int i = 0; i < g.node_size(); ++i) {
    const NodeProto &node = g.node(i);
    std::string name = nodeName(node, i);
    auto fail = [&]() {
      return emitError(NameLoc::get(b.getStringAttr(name)))
             << node.op_type() << ": ";
    };
    std::string domain;
    Opsets opsets = opsetsOf(model, node, domain);
    if (int64_t since = introducedAfter(node.op_type(), domain, opsets))
      return fail() << "does not exist in opset " << opsets.model
                    << " (it first appears in opset " << since << ")";
    // For an opset newer than the ONNX library knows, its newest schema:
    // the operator may have changed since, so only its least input and
    // output counts, which newer opsets keep, are checked (no handler then
    // reads an input that is not there).
    const onnx::OpSchema *schema = schemaAt(node.op_type(), domain, opsets);
    if (schema && opsets.model > opsets.known) {
      if (node.input_size() < schema->min_input() ||
          node.output_size() < schema->min_output())
        return fail() << "has " << node.input_size() << " inputs and "
                      << node.output_size() << " outputs; it takes at least "
                      << schema->min_input() << " and " << schema->min_output();
    } else if (schema) {
      int inputs = node.input_size(), outputs = node.output_size();
      if (inputs < schema->min_input() || inputs > schema->max_input())
        return fail() << "has " << inputs << " inputs; opset "
                      << schema->since_version() << " takes "
                      << schema->min_input() << " to " << schema->max_input();
      if (outputs < schema->min_output() || outputs > schema->max_output())
        return fail() << "has " << outputs << " outputs; opset "
                      << schema->since_version() << " gives "
                      << schema->min_output() << " to " << schema->max_output();
      const auto &expected = schema->attributes();
      for (const auto &attr : node.attribute()) {
        auto it = expected.find(attr.name());
        if (it == expected.end() ||
            attr.type() == onnx::AttributeProto::UNDEFINED ||
            attr.type() == it->second.type ||
            (isEmptyList(attr) && isListType(it->second.type)))
          continue;
        return fail() << "attribute '" << attr.name() << "' must be "
                      << attributeTypeName(it->second.type) << ", not "
                      << attributeTypeName(attr.type());
      }
      for (const auto &[attrName, spec] : expected) {
        if (!spec.required)
          continue;
        bool present = false;
        for (const auto &attr : node.attribute())
          present |= attr.name() == attrName;
        if (!present)
          return fail() << "required attribute '" << attrName << "' is missing";
      }
    }
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue; // An optional output left out.
      auto [it, fresh] = producers.emplace(out, "node '" + name + "'");
      if (!fresh)
        return fail() << "output '" << out << "' is already produced by "
                      << it->second << " (a tensor has one producer in ONNX)";
    }
    for (const auto &attr : node.attribute()) {
      if (attr.has_g() && failed(checkStructure(attr.g())))
        return failure();
      for (const auto &sub : attr.graphs())
        if (failed(checkStructure(sub)))
          return failure();
    }
  }
  return success();
}

} // namespace lathe::onnx_import
