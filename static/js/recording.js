// Time-stamped comments seek the player: a click on "12:34" plays the recording from there. The
// browser fetches the part it needs with a Range request, answered 206 by Dyad's recording view.
(function () {
  var player = document.getElementById("player");
  if (!player) return;
  document.querySelectorAll("button[data-seek]").forEach(function (button) {
    button.addEventListener("click", function () {
      player.currentTime = Number(button.getAttribute("data-seek"));
      var playing = player.play();
      if (playing && playing.catch) playing.catch(function () {});
    });
  });
})();
