// The CPU target: the LLVM target machine for a triple and CPU, the tuning
// read from its features, object emission.
#include "compiler/targets/cpu/CpuTarget.h"
#include "runtime/Descriptor.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

namespace lathe {
namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The tuning for what |machine| compiles for, from its subtarget's
/// features (so that --target-cpu and -mattr-style features both count).
CpuTuning tuningOf(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *sti = machine.getMCSubtargetInfo();
  const llvm::Triple &triple = machine.getTargetTriple();
  auto has = [&](const char *feature) {
    return sti && sti->checkFeatures(feature);
  };
  CpuTuning t;
  if (triple.isX86()) {
    if (has("+avx512f")) {
      // AVX-512 has 32 registers whatever the width; some CPUs run 512-bit
      // vectors at a lower clock, and LLVM's tuning for them says so.
      t = {"avx512", has("+prefer-256-bit") ? 256 : 512, 32};
    } else if (has("+avx2") && has("+fma")) {
      t = {"avx2", 256, 16};
    } else if (has("+avx")) {
      t = {"avx", 256, 16};
    } else {
      t = {"sse2", 128, 16};
    }
  } else if (triple.isAArch64()) {
    t = {has("+neon") ? "neon" : "generic", 128, 32};
  } else {
    // Vector code is legalized to whatever the target has.
    t = {"generic", 128, 16};
  }
  return t;
}

class CpuTarget final : public Target {
public:
  CpuTarget(std::unique_ptr<llvm::TargetMachine> machine, std::string triple,
            std::string cpu)
      : machine(std::move(machine)), triple_(std::move(triple)),
        cpu(std::move(cpu)), tuning(tuningOf(*this->machine)) {}

  const char *name() const override { return "cpu"; }
  const std::string &triple() const override { return triple_; }

  std::string description() const override {
    return triple_ + " " + cpu + " " + tuning.isa +
           " vector-bits=" + std::to_string(tuning.vectorBits) +
           " vector-registers=" + std::to_string(tuning.vectorRegisters);
  }

  std::vector<std::string> cpuFeatures() const override {
    const llvm::MCSubtargetInfo *sti = machine->getMCSubtargetInfo();
    const llvm::Triple &triple = machine->getTargetTriple();
    std::vector<std::string> enabled;
    auto collect = [&](const auto &names) {
      for (const char *name : names)
        if (sti && sti->checkFeatures(std::string("+") + name))
          enabled.push_back(name);
    };
    if (triple.isX86())
      collect(descriptor::kX86CpuFeatures);
    else if (triple.isAArch64())
      collect(descriptor::kAArch64CpuFeatures);
    return enabled;
  }

  void buildPolicyPipeline(mlir::OpPassManager &pm) const override {
    buildCpuPolicyPipeline(pm);
  }
  void buildCodegenPipeline(mlir::OpPassManager &pm) const override {
    buildCpuCodegenPipeline(pm, tuning);
  }

  void prepare(llvm::Module &module) const override {
    module.setTargetTriple(llvm::Triple(triple_));
    module.setDataLayout(machine->createDataLayout());
  }

  llvm::Expected<std::vector<char>> emitObject(llvm::Module &module,
                                               bool optimize) const override {
    if (optimize)
      runO3(module);
    llvm::SmallVector<char, 0> buffer;
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    if (machine->addPassesToEmitFile(pm, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return error("the target cannot emit object files");
    pm.run(module);
    return std::vector<char>(buffer.begin(), buffer.end());
  }

private:
  void runO3(llvm::Module &module) const {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(machine.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
        .run(module, mam);
  }

  std::unique_ptr<llvm::TargetMachine> machine;
  std::string triple_, cpu;
  CpuTuning tuning;
};

} // namespace

/// LLVM's O3 unrolls a loop in full up to a cost of 300 (times a bonus):
/// with the vectorizer's interleaving that unrolls element-wise loops over
/// a few thousand floats, nested ones too, into basic blocks of 10k+
/// instructions, and instruction scheduling is quadratic in a block's size
/// (a training build of a 2-layer LSTM over 8 steps took 71 s, 10 s with
/// 100). 100 keeps the short loops (kernel windows, small tails) unrolled
/// and ran ResNet-18, MobileNetV2 and LeNet faster too
/// (docs/performance.md). LLVM reads it from its command-line option; a
/// value given there (an embedding program's) wins.
void limitFullUnrolling() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("unroll-threshold");
  if (it != options.end() && it->second->getNumOccurrences() == 0)
    it->second->addOccurrence(0, "unroll-threshold", "100");
}

llvm::Expected<std::unique_ptr<Target>>
makeCpuTarget(const TargetOptions &options) {
  static bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    limitFullUnrolling();
    return true;
  }();
  (void)initialized;
  bool host = options.triple.empty();
  std::string tripleName =
      host ? llvm::sys::getDefaultTargetTriple() : options.triple;
  std::string cpu = !options.cpu.empty() ? options.cpu
                    : host               ? llvm::sys::getHostCPUName().str()
                                         : "generic";
  std::string features = options.features;
  if (features.empty() && host && options.cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (const auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, enabled);
    features = f.getString();
  }
  std::string err;
  llvm::Triple triple(tripleName);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return error("unknown target triple '" + tripleName + "': " + err);
  // LLVM only warns about an unknown CPU (on stderr) and then compiles for
  // a baseline: refuse it instead, naming it. (Asked of a subtarget for
  // the default CPU, which does not print that warning itself.)
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu))
    return error("unknown CPU '" + cpu + "' for " + tripleName +
                 " (llc -mtriple=" + tripleName + " -mcpu=help lists them)");
  // Fuse multiplies and adds into FMA instructions where the target has them
  // (as -ffp-contract=fast): faster and at least as accurate.
  llvm::TargetOptions targetOptions;
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return error("cannot create a target machine for '" + tripleName + "'");
  return std::make_unique<CpuTarget>(std::move(machine), tripleName, cpu);
}

} // namespace lathe
