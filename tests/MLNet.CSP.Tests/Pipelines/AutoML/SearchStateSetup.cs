using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>A search's shared state on the tiny set (160 training, 80 validation images, keyed labels) for testing one stage on its own.</summary>
internal sealed record SearchStateSetup(MLContext Ml, SearchState State, IDataView Validation, List<string> Log) : IDisposable
{
    public void Dispose() => State.Best.Dispose();

    /// <summary>
    /// The state, its clock (<see cref="FakeSearchTime"/>: time advances as it is read) started with <paramref name="seconds"/>, and the
    /// search's log messages collected in <see cref="Log"/>.
    /// </summary>
    public static SearchStateSetup Create(string folder, uint seconds, CancellationToken token = default, IProgress<CspTrialResult>? progress = null, int? maxEpochs = 2)
    {
        var (ml, train, validation) = ExperimentTests.Tiny(perClass: 16);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains("CspAutoML", StringComparison.Ordinal)) lock (log) log.Add(e.RawMessage); };
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        (train, validation) = (keys.Transform(train), keys.Transform(validation));
        var time = FakeSearchTime.Create();
        var options = new CspImageClassificationExperimentOptions { TrainingTimeInSeconds = seconds, CropFraction = 1, BatchSize = 32, MaxEpochs = maxEpochs, TorchThreads = 2, Time = time };
        var host = ((IHostEnvironment)ml).Register("CspAutoML");
        var state = new SearchState(ml, options, SearchSpaceSampler.For(typeof(TinySpace)), new SearchData(train, validation, "Label", "Image", 160, 80),
            new SearchClock(TimeSpan.FromSeconds(seconds), token, time), 3, folder, null, progress, host.Start("CspAutoML"));
        return new SearchStateSetup(ml, state, validation, log);
    }
}

/// <summary>Calls an action on every trial the search reports (started, finished), synchronously.</summary>
internal sealed class TrialProgress(Action<CspTrialResult> report) : IProgress<CspTrialResult>
{
    public void Report(CspTrialResult value) => report(value);
}
