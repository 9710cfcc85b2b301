using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Backend;
using TorchSharp;

namespace MLNet.CSP.Tests.Backend;

/// <summary>libtorch's thread count as components take turns: same counts share, other counts wait, the last scope restores.</summary>
[TestClass]
public sealed class TorchThreadsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [TestMethod]
    [Timeout(60_000)]
    public void AScopeSetsTheCountAndRestoresThePreviousOne()
    {
        int before = torch.get_num_threads();
        int other = before == 1 ? 2 : 1;
        using (TorchThreads.Use(other))
        {
            Assert.AreEqual(other, torch.get_num_threads());
            using (TorchThreads.Use(null)) Assert.AreEqual(other, torch.get_num_threads(), "Null leaves the count alone.");
        }
        Assert.AreEqual(before, torch.get_num_threads());
        var scope = TorchThreads.Use(other);
        scope.Dispose();
        scope.Dispose();
        Assert.AreEqual(before, torch.get_num_threads(), "Disposing twice restores once.");
        Assert.AreEqual(0, TorchThreads.OpenScopes);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchThreads.Use(0));
    }

    [TestMethod]
    [Timeout(60_000)]
    public void ScopesOfTheSameCountRunTogetherAndAnotherCountWaitsForThem()
    {
        int before = torch.get_num_threads();
        using var firstOpen = new ManualResetEventSlim();
        using var releaseFirst = new ManualResetEventSlim();
        using var secondOpen = new ManualResetEventSlim();
        using var otherOpen = new ManualResetEventSlim();
        int countSeenByOther = 0, secondBefore = 0, secondAfter = 0;
        var first = Task.Run(() =>
        {
            using (TorchThreads.Use(1))
            {
                firstOpen.Set();
                Assert.IsTrue(releaseFirst.Wait(Patience));
            }
        });
        Assert.IsTrue(firstOpen.Wait(Patience));
        // The same count: opens at once, while the first is open.
        var second = Task.Run(() =>
        {
            secondBefore = torch.get_num_threads();
            using (TorchThreads.Use(1)) secondOpen.Set();
            secondAfter = torch.get_num_threads();
        });
        Assert.IsTrue(secondOpen.Wait(Patience), "A scope of the same count does not wait.");
        second.Wait(Patience);
        Assert.AreEqual(secondBefore, secondAfter, "A thread whose scope ended while others were open has its own count back (libtorch keeps one per thread).");
        // Another count waits until no scope of count 1 is open.
        var other = Task.Run(() =>
        {
            using (TorchThreads.Use(3))
            {
                countSeenByOther = torch.get_num_threads();
                otherOpen.Set();
            }
        });
        Assert.IsFalse(otherOpen.Wait(TimeSpan.FromMilliseconds(300)), "A scope of another count waits while count 1 is in use.");
        releaseFirst.Set();
        Assert.IsTrue(otherOpen.Wait(Patience), "It opens once the first scope closed.");
        Task.WaitAll([first, other], Patience);
        Assert.AreEqual(3, countSeenByOther);
        Assert.AreEqual(0, TorchThreads.OpenScopes);
        Assert.AreEqual(before, torch.get_num_threads(), "The last scope restored the count the process had.");
    }

    /// <summary>libtorch's count on a thread started now: the process default that new threads take.</summary>
    private static int OnNewThread(Func<int> read)
    {
        int value = 0;
        var thread = new Thread(() => value = read());
        thread.Start();
        thread.Join();
        return value;
    }

    [TestMethod]
    [Timeout(60_000)]
    public void AThreadWithACountOfItsOwnLeavesTheProcessDefaultAsItWas()
    {
        int processDefault = OnNewThread(torch.get_num_threads);
        int own = processDefault == 1 ? 2 : 1, scoped = own == 1 ? 3 : 1;
        int ownAfter = 0;
        OnNewThread(() =>
        {
            torch.get_num_threads(); // libtorch gives a thread the process default at its first call, overriding an earlier set
            torch.set_num_threads(own); // this thread's count, and for now the default of new threads too
            OnNewThread(() =>
            {
                torch.set_num_threads(processDefault); // the default back; this thread keeps its own count
                return 0;
            });
            using (TorchThreads.Use(scoped)) Assert.AreEqual(scoped, torch.get_num_threads());
            ownAfter = torch.get_num_threads();
            return 0;
        });
        Assert.AreEqual(own, ownAfter, "The thread has its own count back.");
        Assert.AreEqual(processDefault, OnNewThread(torch.get_num_threads), "New threads still get the process default (not the thread's own count).");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void AScopeInsideAnotherOnTheSameThreadRunsWithTheOuterCount()
    {
        int before = torch.get_num_threads();
        using (TorchThreads.Use(1))
        {
            using (TorchThreads.Use(2)) Assert.AreEqual(1, torch.get_num_threads(), "Inner scope: no wait for itself, the outer count.");
            Assert.AreEqual(1, torch.get_num_threads());
        }
        Assert.AreEqual(before, torch.get_num_threads());
    }
}
