using MLNet.CSP.Pipelines.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>The search space read from ML.NET's attributes, and the successive-halving arithmetic.</summary>
[TestClass]
public sealed class SearchSpaceTests
{
    [TestMethod]
    public void DefaultSpaceSamplesInsideItsDeclaredRanges()
    {
        var space = SearchSpaceSampler.Default;
        var random = new Random(7);
        var samples = Enumerable.Range(0, 4000).Select(_ => space.Sample(random)).ToList();
        Assert.IsTrue(samples.All(s => s.LearningRate >= 3e-4 && s.LearningRate <= 1e-2));
        Assert.IsTrue(samples.All(s => s.LabelSmoothing >= 0 && s.LabelSmoothing <= 0.2));
        CollectionAssert.AreEquivalent(new[] { "cs3darknet_s", "cs3darknet_m", "cspresnet50" }, samples.Select(s => s.Architecture).Distinct().ToArray());
        CollectionAssert.AreEquivalent(Enum.GetValues<CspHeadTrainer>(), samples.Select(s => s.Head).Distinct().ToArray());
        Assert.IsTrue(samples.Any(s => s.FreezeBackbone) && samples.Any(s => !s.FreezeBackbone));
        // Log-uniform: the median learning rate is the geometric mean of the ends (sqrt(3e-4 * 1e-2) = 1.73e-3), not the midpoint.
        double median = samples.Select(s => s.LearningRate).Order().ElementAt(samples.Count / 2);
        Assert.AreEqual(Math.Sqrt(3e-4 * 1e-2), median, 2.5e-4);
        // Linear range: the median label smoothing is the midpoint.
        Assert.AreEqual(0.1, samples.Select(s => s.LabelSmoothing).Order().ElementAt(samples.Count / 2), 0.01);
        Assert.AreEqual(new CspImageClassificationSearchSpace().ToString(), space.Initial.ToString());
    }

    [TestMethod]
    public void UserClassOverridesByNameAndKeepsTheRest()
    {
        var space = SearchSpaceSampler.For(typeof(TinySpace));
        var random = new Random(1);
        var samples = Enumerable.Range(0, 500).Select(_ => space.Sample(random)).ToList();
        CollectionAssert.AreEquivalent(new[] { 16, 32 }, samples.Select(s => s.ImageSize).Distinct().ToArray());
        CollectionAssert.AreEquivalent(new[] { CspHeadTrainer.LbfgsMaximumEntropy, CspHeadTrainer.SdcaMaximumEntropy }, samples.Select(s => s.Head).Distinct().ToArray(),
            "Choice candidates given as strings become the enum.");
        Assert.IsTrue(samples.All(s => s.Architecture == "cs3darknet_s"));
        Assert.IsTrue(samples.Any(s => s.Augmentation == CspAugmentation.RandomShift), "Undeclared settings keep the default space.");
        Assert.AreEqual(32, space.Initial.ImageSize);
        Assert.AreEqual(1e9, SearchSpaceSampler.For(typeof(DivergingFirstSpace)).Initial.LearningRate, "Without an attribute default, the class's initial value is the first configuration.");
        var attributeDefaults = SearchSpaceSampler.For(typeof(AttributeDefaultsSpace)).Initial;
        Assert.AreEqual(16, attributeDefaults.ImageSize, "A choice's DefaultValue wins over the initializer, as in ML.NET.");
        Assert.AreEqual(4e-3, attributeDefaults.LearningRate, "A range's Init wins over the initializer.");
    }

    [TestMethod]
    public void InvalidSpacesAreRefusedWithTheirName()
    {
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => SearchSpaceSampler.For(typeof(UnknownSettingSpace)));
        StringAssert.Contains(unknown.Message, "'Depth' is not a searchable setting");
        StringAssert.Contains(unknown.Message, "LearningRate");
        var architecture = Assert.Throws<ArgumentException>(() => SearchSpaceSampler.For(typeof(UnknownArchitectureSpace)));
        StringAssert.Contains(architecture.Message, "resnet9000");
        var head = Assert.Throws<ArgumentException>(() => SearchSpaceSampler.For(typeof(UndefinedHeadSpace)));
        StringAssert.Contains(head.Message, "'99' of 'Head'");
    }

    [TestMethod]
    public void SuccessiveHalvingBracketsFollowTheReductionFactor()
    {
        CollectionAssert.AreEqual(new[] { 1, 3, 9 }, SuccessiveHalving.Rungs(3, 2));
        CollectionAssert.AreEqual(new[] { 9, 3, 1 }, SuccessiveHalving.Survivors(3, 2));
        // 9 x 1 epoch, then 3 continue for 2 more, then 1 for 6 more: resumed trials pay only their additional epochs.
        Assert.AreEqual(21, SuccessiveHalving.Epochs(3, 2));
        Assert.AreEqual(5, SuccessiveHalving.Epochs(3, 1));
        Assert.AreEqual(1, SuccessiveHalving.Epochs(3, 0));
        // The bracket for the time left: the most halvings (up to 2) whose rung 0 trains 2 epochs (the first is warm-up), then
        // longer rungs to fill the time; each trial-rung also pays a fixed cost.
        Assert.AreEqual((2, 3), SuccessiveHalving.Plan(3, 2, null, secondsPerEpoch: 10, secondsPerTrial: 0, secondsLeft: 650), "Rungs of 3/9/27 epochs = 63 epochs.");
        CollectionAssert.AreEqual(new[] { 3, 9, 27 }, SuccessiveHalving.Rungs(3, 2, 3));
        Assert.AreEqual(63, SuccessiveHalving.Epochs(3, 2, 3));
        Assert.AreEqual(13, SuccessiveHalving.TrialRungs(3, 2));
        Assert.AreEqual((2, 2), SuccessiveHalving.Plan(3, 2, null, secondsPerEpoch: 10, secondsPerTrial: 5, secondsLeft: 650), "13 fits of 5 s leave 585 s: 2/6/18.");
        Assert.AreEqual((1, 4), SuccessiveHalving.Plan(3, 2, null, secondsPerEpoch: 10, secondsPerTrial: 0, secondsLeft: 210),
            "Nine configurations would get one epoch each; three get 4, the best 12.");
        Assert.AreEqual((2, 1), SuccessiveHalving.Plan(3, 2, maxEpochs: 9, secondsPerEpoch: 10, secondsPerTrial: 0, secondsLeft: 650), "Capped at 9 epochs.");
        Assert.AreEqual((1, 1), SuccessiveHalving.Plan(3, 2, maxEpochs: 3, secondsPerEpoch: 10, secondsPerTrial: 0, secondsLeft: 650));
        Assert.AreEqual((0, 1), SuccessiveHalving.Plan(3, 2, null, secondsPerEpoch: 10, secondsPerTrial: 0, secondsLeft: 10), "One epoch if nothing more fits.");
        Assert.IsNull(SuccessiveHalving.Plan(3, 2, null, secondsPerEpoch: 10, secondsPerTrial: 0, secondsLeft: 9));
    }

    [TestMethod]
    public void TrialHistoryRoundTripsFinishedTrialsOfTheSameExperiment()
    {
        string path = Path.Combine(Path.GetTempPath(), $"trials-{Guid.NewGuid():N}.csv");
        try
        {
            var p = new CspImageClassificationSearchSpace { LearningRate = 1.234567e-3, Augmentation = CspAugmentation.RandomShift };
            var trials = new[]
            {
                new CspTrialResult { TrialId = 1, Stage = CspSearchStage.FineTune, Rung = 0, Epochs = 1, ScheduleEpochs = 9, Parameters = p, Status = CspTrialStatus.Completed, Metric = 0.8125, MicroAccuracy = 0.8125, MacroAccuracy = 0.8, LogLoss = 0.61, Duration = TimeSpan.FromSeconds(3.5) },
                new CspTrialResult { TrialId = 2, Stage = CspSearchStage.FineTune, Rung = 0, Epochs = 1, ScheduleEpochs = 9, Parameters = new CspImageClassificationSearchSpace { LearningRate = 5 }, Status = CspTrialStatus.Failed, Error = "The training loss became NaN, \"quoted\", with commas" },
            };
            File.WriteAllText(path, "");
            new TrialHistory(path, "other experiment").Write([trials[0] with { TrialId = 7 }]);
            var first = new TrialHistory(path, "same");
            first.Load();
            first.Write(trials);
            Assert.HasCount(4, File.ReadAllLines(path), "Rows of another experiment are kept when the history is written again.");
            var again = new TrialHistory(path, "same");
            again.Load();
            var found = again.Find(CspSearchStage.FineTune, 1, 9, p.Clone());
            Assert.IsNotNull(found);
            Assert.AreEqual(0.8125, found.Metric);
            Assert.AreEqual(1.234567e-3, found.Parameters.LearningRate);
            Assert.AreEqual(CspAugmentation.RandomShift, found.Parameters.Augmentation);
            Assert.IsNull(again.Find(CspSearchStage.FineTune, 3, 9, p), "Another rung is another trial.");
            Assert.IsNull(again.Find(CspSearchStage.FineTune, 1, 9, trials[1].Parameters), "Failed trials run again.");
            // A final fit with the same settings, epochs and schedule as the trial it retrains (no metric: nothing left to validate on).
            again.Write([.. trials, trials[0] with { TrialId = 3, Stage = CspSearchStage.FinalFit, Rung = null, Metric = null, MicroAccuracy = null, MacroAccuracy = null, LogLoss = null }]);
            var withFinalFit = new TrialHistory(path, "same");
            withFinalFit.Load();
            Assert.AreEqual(0.8125, withFinalFit.Find(CspSearchStage.FineTune, 1, 9, p)?.Metric, "A final fit's row does not hide the trial it retrained.");
            var other = new TrialHistory(path, "a third experiment");
            other.Load();
            Assert.IsNull(other.Find(CspSearchStage.FineTune, 1, 9, p), "Rows of another experiment are not reused.");
            File.WriteAllText(path, File.ReadAllText(path)[..^20]);
            var truncated = Assert.Throws<InvalidDataException>(() => new TrialHistory(path, "same").Load());
            StringAssert.Contains(truncated.Message, path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
