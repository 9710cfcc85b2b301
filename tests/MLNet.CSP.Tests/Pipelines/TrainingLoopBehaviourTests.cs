using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// The training loop's decisions with the task scripted: early stopping after its patience with the best epoch's weights kept,
/// a diverging loss stopped with the epoch, batch and learning rate named, freezing then unfreezing the backbone.
/// </summary>
[TestClass]
public sealed class TrainingLoopBehaviourTests
{
    /// <summary>A two-layer network: <c>backbone.*</c> then <c>head.*</c>.</summary>
    private static nn.Module<Tensor, Tensor> Network()
    {
        torch.manual_seed(4);
        return nn.Sequential(("backbone", nn.Linear(4, 4)), ("head", nn.Linear(4, 2)));
    }

    /// <summary>Fixed random regression data, <paramref name="count"/> rows.</summary>
    private sealed class Source(int count) : ITrainingSource<Tensor>
    {
        public int Count => count;

        public string Fingerprint => $"source:{count}";

        public IEnumerable<(Tensor Images, Tensor Targets)> TrainingBatches(int batchSize, Random random)
        {
            for (int start = 0; start + batchSize <= count; start += batchSize) yield return Make(batchSize, random.Next());
        }

        public IEnumerable<(Tensor Images, Tensor Targets)> EvaluationBatches(int batchSize)
        {
            for (int start = 0; start < count; start += batchSize) yield return Make(Math.Min(batchSize, count - start), start);
        }

        private static (Tensor, Tensor) Make(int n, int seed)
        {
            using var generator = new Generator((ulong)seed);
            return (torch.randn([n, 4], generator: generator), torch.randn([n, 2], generator: generator));
        }
    }

    /// <summary>
    /// Mean squared error; validation returns the scripted values (lower is better); the loss is NaN at one epoch and batch
    /// when asked; every epoch's weights and summary are recorded.
    /// </summary>
    private sealed class ScriptedTask(nn.Module<Tensor, Tensor> model, double[] validation, (int Epoch, int Batch)? nanAt = null) : ITrainingTask<Tensor>
    {
        private int epoch, batch;

        public List<Dictionary<string, Tensor>> Weights { get; } = [];

        public List<EpochSummary> Summaries { get; } = [];

        public List<bool> FrozenModes { get; } = [];

        /// <summary>The weights after every optimizer step, and those validation saw (when <see cref="RecordSteps"/>).</summary>
        public List<Dictionary<string, Tensor>> StepWeights { get; } = [];

        public List<Dictionary<string, Tensor>> ValidatedWeights { get; } = [];

        public bool RecordSteps { get; init; }

        public string Name => "Scripted";

        public nn.Module Model => model;

        public string Identity => "scripted";

        public bool KeepsBestEpochWithValidation { get; init; }

        public double DefaultEmaDecay { get; init; }

        public bool IsHead(string parameterName) => parameterName.StartsWith("head.", StringComparison.Ordinal);

        public double TrainingAccuracy => double.NaN;

        public double TrainingWatched => 0;

        public void SetTrainingMode(bool frozen)
        {
            FrozenModes.Add(frozen);
            model.train();
        }

        public void BeginEpoch(int epochIndex, int epochs) => (epoch, batch) = (epoch + 1, 0);

        public Tensor Loss(Tensor images, Tensor targets)
        {
            batch++;
            var loss = nn.functional.mse_loss(model.call(images), targets);
            return nanAt == (epoch, batch) ? loss * float.NaN : loss;
        }

        public void AfterStep(float loss, int batchSize)
        {
            // Kept past the loop's per-batch dispose scope.
            if (RecordSteps) StepWeights.Add(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope()));
        }

        public TaskValidation Validate(IEnumerable<(Tensor Images, Tensor Targets)> batches, Device device)
        {
            if (RecordSteps) ValidatedWeights.Add(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope()));
            foreach (var (images, targets) in batches)
            {
                images.Dispose();
                targets.Dispose();
            }
            return new TaskValidation(validation[epoch - 1], validation[epoch - 1]);
        }

        public EpochOutcome EndEpoch(EpochSummary summary, TaskValidation? validationResult)
        {
            Summaries.Add(summary);
            Weights.Add(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
            return new EpochOutcome($"epoch {summary.Epoch}", null);
        }
    }

    private static IHost Host(MLContext? ml = null) => ((IHostEnvironment)(ml ?? new MLContext(seed: 1))).Register("test");

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && (a - b).abs().max().item<float>() == 0;

    private static void AssertSameWeights(IReadOnlyDictionary<string, Tensor> expected, nn.Module model, string what)
    {
        foreach (var (key, value) in model.state_dict())
            Assert.IsTrue(Same(value, expected[key]), $"{what}: {key}");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void EarlyStoppingStopsAfterItsPatienceAndKeepsTheBestEpochsWeights()
    {
        using var model = Network();
        var task = new ScriptedTask(model, [3, 2, 2.5, 2.6, 1, 0]);
        var options = new CspImageClassificationTrainer.Options { Epochs = 6, BatchSize = 8, LearningRate = 0.05, EarlyStoppingPatience = 2 };
        new TrainingLoop<Tensor>(Host(), options, task, new Source(32), new Source(16), torch.CPU, seed: 1).Run();

        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, task.Summaries.Select(s => s.Epoch).ToArray(), "Two epochs without improvement after epoch 2: stopped after epoch 4.");
        CollectionAssert.AreEqual(new[] { 1, 2, 2, 2 }, task.Summaries.Select(s => s.BestEpoch).ToArray(), "The best epoch so far, as reported.");
        Assert.IsFalse(task.Weights[1].All(kv => Same(kv.Value, task.Weights[3][kv.Key])), "Training moved the weights after epoch 2.");
        AssertSameWeights(task.Weights[1], model, "The model is epoch 2's weights");
    }

    [TestMethod]
    [Timeout(60_000)]
    [DataRow(true, null, 2, DisplayName = "a task that keeps its best epoch (the detector): the best validated epoch")]
    [DataRow(true, false, 4, DisplayName = "KeepBestEpoch = false: the last epoch")]
    [DataRow(false, null, 4, DisplayName = "a task that does not (the classifier): the last epoch")]
    [DataRow(false, true, 2, DisplayName = "KeepBestEpoch = true: the best validated epoch")]
    public void WithoutPatienceTheModelIsTheBestOrTheLastEpochAsAsked(bool taskKeepsBest, bool? keepBest, int expectedEpoch)
    {
        using var model = Network();
        var task = new ScriptedTask(model, [3, 1, 2, 2.5]) { KeepsBestEpochWithValidation = taskKeepsBest };
        var options = new CspImageClassificationTrainer.Options { Epochs = 4, BatchSize = 8, LearningRate = 0.05, KeepBestEpoch = keepBest };
        new TrainingLoop<Tensor>(Host(), options, task, new Source(32), new Source(16), torch.CPU, seed: 1).Run();

        Assert.AreEqual(4, task.Summaries.Count, "every epoch ran");
        Assert.IsFalse(task.Weights[1].All(kv => Same(kv.Value, task.Weights[3][kv.Key])), "Training moved the weights after epoch 2.");
        AssertSameWeights(task.Weights[expectedEpoch - 1], model, $"The model is epoch {expectedEpoch}'s weights");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void TheWeightAverageIsWhatValidationSeesAndWhatTrainingReturns()
    {
        using var model = Network();
        var initial = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        // The task's own default decay turns the average on, as the detector's does.
        var task = new ScriptedTask(model, [3, 2, 2.5]) { DefaultEmaDecay = 0.9, RecordSteps = true };
        var options = new CspImageClassificationTrainer.Options { Epochs = 3, BatchSize = 8, LearningRate = 0.05 };
        new TrainingLoop<Tensor>(Host(), options, task, new Source(32), new Source(16), torch.CPU, seed: 1).Run();

        // The average computed here from the weights after each step: a <- a + (1 - d)(w - a), d = 0.9 (1 - exp(-u / 2000)).
        Assert.HasCount(12, task.StepWeights, "4 steps an epoch");
        var average = initial.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64));
        var expectedAtValidation = new List<Dictionary<string, Tensor>>();
        for (int u = 1; u <= task.StepWeights.Count; u++)
        {
            double d = 0.9 * (1 - Math.Exp(-u / 2000.0));
            foreach (var key in average.Keys.ToList())
                average[key] = average[key] + (1 - d) * (task.StepWeights[u - 1][key].to_type(ScalarType.Float64) - average[key]);
            if (u % 4 == 0) expectedAtValidation.Add(average.ToDictionary(kv => kv.Key, kv => kv.Value.clone()));
        }
        Assert.HasCount(3, task.ValidatedWeights);
        for (int e = 0; e < 3; e++)
        {
            foreach (var (key, seen) in task.ValidatedWeights[e])
                Assert.IsLessThan(1e-6, (seen.to_type(ScalarType.Float64) - expectedAtValidation[e][key]).abs().max().item<double>(), $"epoch {e + 1}: validation sees the average ({key})");
            Assert.IsFalse(task.ValidatedWeights[e].All(kv => Same(kv.Value, task.StepWeights[4 * e + 3][kv.Key])), $"epoch {e + 1}: the average is not the last step's weights");
            // After validation the network has its own weights back, and training goes on from them.
            foreach (var (key, after) in task.Weights[e]) Assert.IsTrue(Same(after, task.StepWeights[4 * e + 3][key]), $"epoch {e + 1}: weights restored ({key})");
        }
        foreach (var (key, value) in model.state_dict())
            Assert.IsLessThan(1e-6, (value.to_type(ScalarType.Float64) - expectedAtValidation[2][key]).abs().max().item<double>(), $"The trained model is the average ({key})");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void TheBiasWarmUpStartsTheBiasesAtItsRateAndLeavesTheOtherWeightsAlone()
    {
        List<Dictionary<string, Tensor>> Run(double warmupBias, out Dictionary<string, Tensor> initial)
        {
            using var model = Network();
            initial = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            var task = new ScriptedTask(model, [1, 1]) { RecordSteps = true };
            var options = new CspImageClassificationTrainer.Options
            {
                Epochs = 2, BatchSize = 8, LearningRate = 0.05, WeightDecay = 0, Optimizer = CspOptimizer.SgdMomentum, WarmupEpochs = 1,
                WarmupBiasLearningRate = warmupBias,
            };
            new TrainingLoop<Tensor>(Host(), options, task, new Source(32), null, torch.CPU, seed: 1).Run();
            return task.StepWeights;
        }

        var plain = Run(0, out var start);
        var warmed = Run(0.5, out _);
        // Step 1 of a 4-step warm-up: the others' rate is 0.05 / 4; the biases' 0.5 (1 - 1/4) + 0.05 / 4, 31 times more. SGD's first
        // step is the rate times the gradient, and both runs start from the same weights and batch.
        foreach (var (key, value) in plain[0])
        {
            var plainStep = value - start[key];
            var warmedStep = warmed[0][key] - start[key];
            if (key.EndsWith(".bias", StringComparison.Ordinal))
                Assert.IsLessThan(1e-4, (warmedStep - 31 * plainStep).abs().max().item<float>() / plainStep.abs().max().item<float>() / 31, $"{key}: 31 times the step");
            else
                Assert.IsTrue(Same(value, warmed[0][key]), $"{key}: not a bias, the same step");
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new CspImageClassificationTrainer.Options { WarmupBiasLearningRate = -1 }.Validate());
    }

    [TestMethod]
    [Timeout(60_000)]
    public void ExemptingNormAndBiasFromDecayLeavesTheOneDimensionalParametersUndecayedInTheLoop()
    {
        List<Dictionary<string, Tensor>> Run(double decay, bool exempt, out Dictionary<string, Tensor> initial)
        {
            using var model = Network();
            initial = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            var task = new ScriptedTask(model, [1]) { RecordSteps = true };
            var options = new CspImageClassificationTrainer.Options
            {
                Epochs = 1, BatchSize = 8, LearningRate = 0.05, WeightDecay = decay, Optimizer = CspOptimizer.SgdMomentum, WarmupEpochs = 0,
                ExemptNormAndBiasFromWeightDecay = exempt,
            };
            new TrainingLoop<Tensor>(Host(), options, task, new Source(32), null, torch.CPU, seed: 1).Run();
            return task.StepWeights;
        }

        var decayed = Run(1.0, false, out var start);
        var undecayed = Run(0, false, out _);
        var exempt = Run(1.0, true, out _);
        // SGD's first step is the rate times (gradient + decay x weight), from the same weights and batch in every run: with the
        // exemption the biases take the undecayed run's step and the weights the decayed run's.
        foreach (var (key, value) in exempt[0])
        {
            bool bias = start[key].dim() == 1;
            Assert.IsTrue(Same(value, (bias ? undecayed : decayed)[0][key]), $"{key}: the {(bias ? "undecayed" : "decayed")} run's step");
            if (bias) Assert.IsFalse(Same(value, decayed[0][key]), $"{key}: the decay would have changed this bias's step");
        }
    }

    [TestMethod]
    [Timeout(60_000)]
    public void WithoutPatienceEveryEpochRunsAndTheLastIsTheModel()
    {
        using var model = Network();
        var task = new ScriptedTask(model, [3, 2, 2.5, 2.6]);
        var options = new CspImageClassificationTrainer.Options { Epochs = 4, BatchSize = 8, LearningRate = 0.05 };
        new TrainingLoop<Tensor>(Host(), options, task, new Source(32), new Source(16), torch.CPU, seed: 1).Run();
        Assert.HasCount(4, task.Summaries);
        AssertSameWeights(task.Weights[3], model, "The model is the last epoch's weights");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void ADivergingLossStopsTrainingNamingEpochBatchAndLearningRate()
    {
        using var model = Network();
        var task = new ScriptedTask(model, [1, 1, 1], nanAt: (2, 3));
        var options = new CspImageClassificationTrainer.Options { Epochs = 3, BatchSize = 8, LearningRate = 0.05, WarmupEpochs = 0, Schedule = CspLearningRateSchedule.Constant };
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            new TrainingLoop<Tensor>(Host(), options, task, new Source(32), null, torch.CPU, seed: 1).Run());
        StringAssert.Contains(error.Message, "became NaN at epoch 2, batch 3 (learning rate 0.05)");
        Assert.HasCount(1, task.Summaries, "Epoch 1 finished; epoch 2 did not.");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void AFrozenBackboneStaysUntilUnfreezeAfterEpochsThenTrains()
    {
        using var model = Network();
        var initial = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var task = new ScriptedTask(model, [3, 2, 1]);
        var options = new CspImageClassificationTrainer.Options
        {
            Epochs = 3, BatchSize = 8, LearningRate = 0.05, FreezeBackbone = true, UnfreezeAfterEpochs = 1, WeightDecay = 0.01,
        };
        new TrainingLoop<Tensor>(Host(), options, task, new Source(32), null, torch.CPU, seed: 1).Run();

        CollectionAssert.AreEqual(new[] { true, false, false }, task.FrozenModes.ToArray(), "Frozen in epoch 1, then the whole network trains.");
        foreach (var key in initial.Keys.Where(k => k.StartsWith("backbone.", StringComparison.Ordinal)))
        {
            Assert.IsTrue(Same(initial[key], task.Weights[0][key]), $"{key} did not move in the frozen epoch.");
            Assert.IsFalse(Same(initial[key], task.Weights[1][key]), $"{key} trained after unfreezing.");
        }
        foreach (var key in initial.Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)))
            Assert.IsFalse(Same(initial[key], task.Weights[0][key]), $"{key} trained while the backbone was frozen.");
    }
}
