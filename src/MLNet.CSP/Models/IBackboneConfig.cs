namespace MLNet.CSP.Models;

/// <summary>A registered variant: data that one family builder turns into a <see cref="Backbone"/>.</summary>
public interface IBackboneConfig
{
    /// <summary>Preprocessing the published checkpoint expects.</summary>
    PretrainedConfig Pretrained { get; }

    /// <summary>Where the architecture comes from (the reference implementation its keys and outputs match).</summary>
    string Reference { get; }

    /// <summary>Builds a freshly initialised network.</summary>
    Backbone Build(string name, int numClasses);
}
