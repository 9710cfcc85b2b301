using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The training loop over its seams: a source that streams batches it never holds, and the task hooks.</summary>
[TestClass]
public sealed class TrainingLoopTests
{
    /// <summary>
    /// Synthetic two-class images made on demand, one batch at a time (as a source that reads the data again each epoch does):
    /// dark noise is class 0, bright noise class 1. Records every batch it hands out, to check the loop disposes each one
    /// before asking for the next.
    /// </summary>
    private sealed class StreamedSource(int count, int seed) : ITrainingSource<Tensor>
    {
        public List<Tensor> HandedOut { get; } = [];

        public int Count => count;

        public string Fingerprint => $"streamed:{count}:{seed}";

        public IEnumerable<(Tensor Images, Tensor Targets)> TrainingBatches(int batchSize, Random random)
        {
            for (int start = 0; start + batchSize <= count; start += batchSize) yield return Make(batchSize, random.Next());
        }

        public IEnumerable<(Tensor Images, Tensor Targets)> EvaluationBatches(int batchSize)
        {
            for (int start = 0; start < count; start += batchSize) yield return Make(Math.Min(batchSize, count - start), seed + start);
        }

        private (Tensor, Tensor) Make(int n, int batchSeed)
        {
            Assert.IsTrue(HandedOut.All(t => t.IsInvalid), "The loop disposed every earlier batch before asking for this one.");
            using var generator = new Generator((ulong)batchSeed);
            var targets = torch.arange(n, dtype: ScalarType.Int64).remainder(2);
            var images = torch.randn([n, 3, 32, 32], generator: generator).mul_(0.3).add_(targets.to(ScalarType.Float32).mul(2).sub(1).view(-1, 1, 1, 1));
            HandedOut.Add(images);
            HandedOut.Add(targets);
            return (images, targets);
        }
    }

    [TestMethod]
    public void AStreamedSourceFeedsTheLoopOneBatchAtATime()
    {
        var ml = new MLContext(seed: 1);
        var host = ((IHostEnvironment)ml).Register("test");
        torch.manual_seed(1);
        using var model = Backbones.Create("cs3darknet_s", numClasses: 2);
        var train = new StreamedSource(128, seed: 10);
        var validation = new StreamedSource(32, seed: 20);
        var epochs = new List<CspEpochMetrics>();
        var options = new CspImageClassificationTrainer.Options { Epochs = 4, BatchSize = 16, LearningRate = 2e-3, MetricsCallback = epochs.Add };
        new TrainingLoop<Tensor>(host, options, new ClassificationTask(model, options, 32), train, validation, torch.CPU, seed: 5).Run();

        Assert.HasCount(4, epochs);
        Assert.AreEqual(4 * 8 * 2, train.HandedOut.Count, "Four epochs of eight batches (images and targets each).");
        Assert.IsTrue(train.HandedOut.All(t => t.IsInvalid), "Every streamed batch was released.");
        Assert.AreEqual(4 * 2 * 2, validation.HandedOut.Count, "Validation read the source once per epoch.");
        Assert.IsGreaterThanOrEqualTo(0.9, epochs[^1].ValidationAccuracy!.Value,
            $"Separable data is learnt through the streamed source: {string.Join("; ", epochs)}");
    }

    [TestMethod]
    public void TheClassificationTaskScoresLikeCrossEntropyAndArgMax()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Backbones.Create("cs3darknet_s", numClasses: 3);
        var task = new ClassificationTask(model, labelSmoothing: 0.1);
        var logits = torch.tensor(new float[] { 2, 0, 0, 0, 3, 0, 0, 0, 1 }).view(3, 3);
        var targets = torch.tensor(new long[] { 0, 1, 1 });
        Assert.AreEqual(2, ClassificationTask.Correct(logits, targets));
        double expectedSum = -(Math.Log(Math.Exp(2) / (Math.Exp(2) + 2)) + Math.Log(Math.Exp(3) / (Math.Exp(3) + 2)) + Math.Log(1 / (Math.E + 2)));
        Assert.AreEqual(expectedSum, ClassificationTask.EvaluationLossSum(logits, targets).item<float>(), 1e-5);
        Assert.IsGreaterThan(expectedSum / 3, (double)task.TrainingLoss(logits, targets).item<float>(), "Label smoothing raises the loss of confident right answers.");
    }
}
