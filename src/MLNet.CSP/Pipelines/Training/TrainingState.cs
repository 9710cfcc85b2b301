using System.Text.Json;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// What a checkpoint directory records about a run: after which epoch it was saved and the run's identity
/// (resuming with other data or options starts over instead of mixing runs).
/// </summary>
internal sealed record TrainingState(int CompletedEpochs, string Fingerprint, double BestMetric, int BestEpoch, int EpochsWithoutImprovement, bool Frozen)
{
    public const string StateFile = "state.json";
    public const string ModelFile = "last.safetensors";
    public const string OptimizerFile = "optimizer.bin";
    public const string BestFile = "best.safetensors";

    public static TrainingState? TryRead(string directory, string fingerprint)
    {
        string path = Path.Combine(directory, StateFile);
        if (!File.Exists(path)) return null;
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path));
        return state is not null && state.Fingerprint == fingerprint && File.Exists(Path.Combine(directory, ModelFile)) ? state : null;
    }

    public void Write(string directory)
    {
        string path = Path.Combine(directory, StateFile);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
