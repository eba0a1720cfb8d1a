// The ONNX checker's structural rules, before anything is imported: each
// node's input and output counts, its attributes' types and the required
// ones (from the operator's schema, for the opsets the ONNX library knows),
// and single assignment (one producer per tensor name).
#include "frontends/onnx/Importer.h"

#include "onnx/defs/schema.h"

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

/// The schema of |node| at the model's opset of its domain; for an opset
/// newer than the ONNX library knows, the newest schema it has, with
/// |exact| false (the operator may have changed since: only its least
/// input and output counts, which newer opsets keep, are then checked, so
/// that no handler reads an input that is not there).
const onnx::OpSchema *knownSchema(const onnx::ModelProto &model,
                                  const NodeProto &node, bool &exact) {
  std::string domain = isDefaultDomain(node.domain()) ? "" : node.domain();
  int64_t version = importedOpset(model, domain);
  const auto &ranges =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = ranges.find(domain);
  if (version <= 0 || range == ranges.end())
    return nullptr;
  exact = version <= range->second.second;
  return onnx::OpSchemaRegistry::Schema(
      node.op_type(), int(std::min<int64_t>(version, range->second.second)),
      domain);
}

/// The first opset of |node|'s domain that has its operator, when that is
/// after the model's opset (0 otherwise): the operator does not exist in
/// the model's opset at all.
int64_t introducedAfter(const onnx::ModelProto &model, const NodeProto &node) {
  std::string domain = isDefaultDomain(node.domain()) ? "" : node.domain();
  int64_t version = importedOpset(model, domain);
  const auto &ranges =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = ranges.find(domain);
  if (version <= 0 || range == ranges.end() || version > range->second.second ||
      onnx::OpSchemaRegistry::Schema(node.op_type(), int(version), domain))
    return 0;
  const onnx::OpSchema *newest = onnx::OpSchemaRegistry::Schema(
      node.op_type(), range->second.second, domain);
  if (!newest)
    return 0;
  // The newest schema's since_version may not be the first: walk down.
  int64_t first = newest->since_version();
  while (first > 1) {
    const onnx::OpSchema *older =
        onnx::OpSchemaRegistry::Schema(node.op_type(), int(first - 1), domain);
    if (!older)
      break;
    first = older->since_version();
  }
  return first > version ? first : 0;
}

} // namespace

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
    if (int64_t since = introducedAfter(model, node))
      return fail() << "does not exist in opset "
                    << importedOpset(model, isDefaultDomain(node.domain())
                                                ? ""
                                                : node.domain())
                    << " (it first appears in opset " << since << ")";
    bool exact = true;
    if (const onnx::OpSchema *schema = knownSchema(model, node, exact);
        schema && !exact) {
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
